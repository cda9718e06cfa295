// The alert webhook's transport: POST /alerts/alertmanager and /alerts/grafana over HTTP, or
// HTTPS with a certificate and key. It authenticates, reads at most maxBodyBytes, decodes the
// sender's JSON (controller/alerts/payload.ts) and hands the alerts to the sink, which records
// them before this answers 200. A non-leader, or a sink that cannot record now, answers 503 so
// that the sender retries; bad input is a 4xx with the reason. Nothing a request carries can
// throw out of here.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AlertResult } from "../../controller/alerts/apply.ts";
import {
  type AlertSource,
  type IncomingAlert,
  parseAlertPayload,
} from "../../controller/alerts/payload.ts";
import { errorMessage, type Logger } from "../log.ts";
import { type AlertsAuth, checkAuthorization, checkHmac } from "./auth.ts";

export const maxBodyBytes = 1024 * 1024;

const paths: Record<string, AlertSource> = {
  "/alerts/alertmanager": "alertmanager",
  "/alerts/grafana": "grafana",
};

/** What became of one alert, as the response body lists it. */
export interface AlertReply {
  fingerprint: string;
  alertname: string;
  /** "namespace/name" the alert named, when it named one. */
  policy?: string;
  result: AlertResult;
  message: string;
}

/** Raised by a sink that cannot record alerts now (the API server is unreachable): 503. */
export class AlertsUnavailable extends Error {}

/** Records the alerts (durably) and says what became of each, in order. */
export interface AlertSink {
  deliver(source: AlertSource, alerts: IncomingAlert[]): Promise<AlertReply[]>;
}

export interface AlertsServerOptions {
  host: string;
  port: number;
  auth: AlertsAuth;
  /** Reads the credentials again (their files); a throw keeps the ones in force. */
  reloadAuth?: () => AlertsAuth;
  /** PEM files: serve HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** Only the leader records alerts. */
  leader: () => boolean;
  sink: AlertSink;
  log: Logger;
  /** Every answered request, for mull_alerts_requests_total. */
  onRequest?: (source: AlertSource | "unknown", code: number) => void;
}

export interface AlertsServer {
  server: Server;
  port: number;
  /**
   * Re-reads the certificate and key, and the credentials (reloadAuth); done every reloadMs.
   * True when something changed.
   */
  reload(): boolean;
  close(): Promise<void>;
}

/**
 * How often the certificate and credential files are re-read: the kubelet updates a mounted
 * Secret in place (cert-manager renewing it, an operator rotating the token).
 */
export const reloadMs = 60_000;

function reply(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(code, { "content-type": "application/json", ...headers }).end(text);
}

/**
 * The body, or "too_large" once it passes the limit: reading stops there (the rest is drained,
 * not kept) and the connection is closed after the answer.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too_large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      resolve("too_large");
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        chunks.length = 0;
        resolve("too_large");
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startAlertsServer(o: AlertsServerOptions): Promise<AlertsServer> {
  let auth = o.auth;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    serve(o, auth, req, res).catch((err: unknown) => {
      o.log.error("alert webhook request failed", { error: errorMessage(err) });
      reply(res, 500, { error: "internal error" });
    });
  };
  const tls = o.tls;
  const readPem = () =>
    tls
      ? { cert: readFileSync(tls.certFile, "utf8"), key: readFileSync(tls.keyFile, "utf8") }
      : undefined;
  let pem = readPem();
  const server = pem ? createHttpsServer(pem, handle) : createServer(handle);
  const reloadTls = () => {
    if (!pem) return false;
    const next = readPem();
    if (!next || (next.cert === pem.cert && next.key === pem.key)) return false;
    (server as ReturnType<typeof createHttpsServer>).setSecureContext(next);
    pem = next;
    o.log.info("alert webhook certificate reloaded");
    return true;
  };
  const reloadCredentials = () => {
    if (!o.reloadAuth) return false;
    const next = o.reloadAuth();
    if (JSON.stringify(next) === JSON.stringify(auth)) return false;
    auth = next;
    o.log.info("alert webhook credentials reloaded");
    return true;
  };
  const reload = () => {
    let changed = false;
    for (const [what, fn] of [
      ["certificate", reloadTls],
      ["credentials", reloadCredentials],
    ] as const) {
      try {
        changed = fn() || changed;
      } catch (err) {
        // Mid-rotation (a cert without its key yet, an empty file): keep serving what works.
        o.log.warn(`alert webhook ${what} not reloaded`, { error: errorMessage(err) });
      }
    }
    return changed;
  };
  const reloadTimer = pem || o.reloadAuth ? setInterval(reload, reloadMs) : undefined;
  reloadTimer?.unref();
  // A slow sender must not hold a socket for ever; Alertmanager's default timeout is 10s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address ? address.port : o.port,
    reload,
    close: () =>
      new Promise<void>((resolve) => {
        if (reloadTimer) clearInterval(reloadTimer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  o: AlertsServerOptions,
  credentials: AlertsAuth,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (path === "/healthz") {
    reply(res, 200, { ok: true });
    return;
  }
  const source = paths[path];
  const answer = (code: number, body: unknown, headers?: Record<string, string>) => {
    reply(res, code, body, headers);
    o.onRequest?.(source ?? "unknown", code);
    if (code >= 400 && code !== 503) {
      o.log.warn("alert webhook refused a request", { path, code, ...(body as object) });
    }
  };
  if (!source) {
    answer(404, {
      error: `no such endpoint ${path}: POST /alerts/alertmanager or /alerts/grafana`,
    });
    return;
  }
  if (req.method !== "POST") {
    answer(405, { error: `${req.method} ${path}: only POST` }, { allow: "POST" });
    return;
  }
  const auth = checkAuthorization(credentials, req.headers);
  if (!auth.ok) {
    const challenge: Record<string, string> =
      auth.code === 401
        ? { "www-authenticate": credentials.token !== undefined ? "Bearer" : 'Basic realm="mull"' }
        : {};
    answer(auth.code, { error: auth.reason }, challenge);
    req.resume();
    return;
  }
  const body = await readBody(req, maxBodyBytes);
  if (body === "too_large") {
    answer(413, { error: `the body is over ${maxBodyBytes} bytes` }, { connection: "close" });
    // Drain rather than reset, so the sender reads the 413 instead of a broken pipe.
    req.resume();
    return;
  }
  if (source === "grafana" && credentials.hmac) {
    const signed = checkHmac(credentials.hmac, req.headers, body);
    if (!signed.ok) {
      answer(signed.code, { error: signed.reason });
      return;
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch (err) {
    answer(400, { error: `malformed JSON: ${errorMessage(err)}` });
    return;
  }
  const parsed = parseAlertPayload(source, json);
  if (!parsed.ok) {
    answer(400, { error: parsed.error });
    return;
  }
  if (!o.leader()) {
    answer(
      503,
      {
        error:
          "not the leader (or its caches are not synced yet): retry; the Service routes to every operator replica",
      },
      { "retry-after": "1" },
    );
    return;
  }
  let results: AlertReply[];
  try {
    results = await o.sink.deliver(source, parsed.alerts);
  } catch (err) {
    if (err instanceof AlertsUnavailable) {
      o.log.warn("alerts not recorded", { source, error: err.message });
      answer(503, { error: err.message }, { "retry-after": "5" });
    } else {
      o.log.error("alerts not recorded", { source, error: errorMessage(err) });
      answer(500, { error: `could not record the alerts: ${errorMessage(err)}` });
    }
    return;
  }
  answer(200, { results });
}
