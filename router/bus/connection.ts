// The NATS connection flags both `mull router` and `mull operator` take, turned into connection
// options with clear errors, and the connection itself: it never gives up reconnecting, because
// both processes keep working on what they have while the bus is away.
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";

export const NATS_FLAGS_HELP = `  --nats URL[,URL...]        the NATS fleet bus (nats:// or tls://); without it, no bus
  --nats-user USER           user name (with --nats-password)
  --nats-password PASS       password (or $NATS_PASSWORD)
  --nats-token TOKEN         token auth (or $NATS_TOKEN)
  --nats-creds PATH          a .creds file (JWT + nkey seed)
  --nats-tls-ca PATH         CA bundle that signs the server's certificate (implies TLS)
  --nats-tls-cert PATH       client certificate for mutual TLS (with --nats-tls-key)
  --nats-tls-key PATH        client key for mutual TLS
  --nats-tls                 require TLS even without a CA or client certificate
`;

export const NATS_FLAGS = {
  nats: { type: "string" },
  "nats-user": { type: "string" },
  "nats-password": { type: "string" },
  "nats-token": { type: "string" },
  "nats-creds": { type: "string" },
  "nats-tls-ca": { type: "string" },
  "nats-tls-cert": { type: "string" },
  "nats-tls-key": { type: "string" },
  "nats-tls": { type: "boolean" },
} as const;

export type NatsFlagValues = Partial<
  Record<Exclude<keyof typeof NATS_FLAGS, "nats-tls">, string> & { "nats-tls": boolean }
>;

/** Everything needed to connect; plain data, so it can be checked and printed without I/O. */
export interface BusOptions {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/**
 * The bus options, undefined without --nats, or the list of what is wrong. Secrets may come from
 * the environment so that they stay out of `ps`.
 */
export function busOptionsFromFlags(
  v: NatsFlagValues,
  env: Record<string, string | undefined> = process.env,
): BusOptions | undefined | string[] {
  const problems: string[] = [];
  const servers = (v.nats ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const pass = v["nats-password"] ?? env.NATS_PASSWORD;
  const token = v["nats-token"] ?? env.NATS_TOKEN;
  if (servers.length === 0) {
    const given = Object.keys(NATS_FLAGS).filter(
      (k) => k !== "nats" && v[k as keyof NatsFlagValues] !== undefined,
    );
    if (given.length > 0) return [`--${given.join(", --")} need --nats`];
    return undefined;
  }
  for (const s of servers) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+/.test(s) && !/^[\w.-]+(:\d+)?$/.test(s)) {
      problems.push(`--nats: "${s}" is not a NATS URL (nats://host:4222)`);
    }
  }
  const auths = [v["nats-user"] !== undefined, token !== undefined, v["nats-creds"] !== undefined];
  if (auths.filter(Boolean).length > 1) {
    problems.push("use one of --nats-user/--nats-password, --nats-token, --nats-creds");
  }
  if (v["nats-user"] !== undefined && pass === undefined) {
    problems.push("--nats-user needs --nats-password (or $NATS_PASSWORD)");
  }
  if ((v["nats-tls-cert"] === undefined) !== (v["nats-tls-key"] === undefined)) {
    problems.push("--nats-tls-cert and --nats-tls-key go together");
  }
  for (const flag of ["nats-creds", "nats-tls-ca", "nats-tls-cert", "nats-tls-key"] as const) {
    const path = v[flag];
    if (path === undefined) continue;
    try {
      readFileSync(path);
    } catch (error) {
      problems.push(`--${flag}: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) return problems;
  const tlsWanted =
    v["nats-tls"] === true ||
    v["nats-tls-ca"] !== undefined ||
    v["nats-tls-cert"] !== undefined ||
    servers.some((s) => s.startsWith("tls://"));
  return {
    servers,
    ...(v["nats-user"] !== undefined ? { user: v["nats-user"], pass: pass ?? "" } : {}),
    ...(token !== undefined && v["nats-user"] === undefined ? { token } : {}),
    ...(v["nats-creds"] !== undefined ? { credsFile: v["nats-creds"] } : {}),
    ...(tlsWanted
      ? {
          tls: {
            ...(v["nats-tls-ca"] !== undefined ? { caFile: v["nats-tls-ca"] } : {}),
            ...(v["nats-tls-cert"] !== undefined ? { certFile: v["nats-tls-cert"] } : {}),
            ...(v["nats-tls-key"] !== undefined ? { keyFile: v["nats-tls-key"] } : {}),
          },
        }
      : {}),
  };
}

export type BusLog = (line: string) => void;

/**
 * Connects (waiting for a server that is not up yet) and reconnects forever. Status changes are
 * logged; the caller resyncs on "reconnect".
 */
export async function connectBus(
  options: BusOptions,
  name: string,
  log: BusLog = () => {},
): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.servers,
    name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    ...(options.user !== undefined ? { user: options.user, pass: options.pass ?? "" } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.credsFile !== undefined
      ? { authenticator: credsAuthenticator(readFileSync(options.credsFile)) }
      : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect") log(`nats: ${s.type} ${s.server}`);
      else if (s.type === "error") log(`nats: ${s.error.message}`);
    }
  })();
  return nc;
}
