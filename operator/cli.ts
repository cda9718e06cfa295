// `mull operator`: runs the TestTimePolicy operator. See operator/README.md.
import { accessSync, constants } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { NatsConnection } from "@nats-io/transport-node";
import { defaultDemandWindowOptions } from "../controller/planner/demand.ts";
import { defaultPolicyBucket } from "../proto/bus/naming.ts";
import {
  busOptionsFromFlags,
  connectBus,
  NATS_FLAGS,
  NATS_FLAGS_HELP,
  type NatsFlagValues,
} from "../router/bus/connection.ts";
import { type AlertsAuth, type AuthFiles, loadAuth } from "./alerts/auth.ts";
import type { AlertsServer } from "./alerts/server.ts";
import type { DemandSubscriber } from "./bus/demand-subscriber.ts";
import type { SnapshotWriter } from "./bus/snapshot-writer.ts";
import { serveHttp } from "./http.ts";
import { SharedConnectionsKubeConfig } from "./kubeconfig.ts";
import { createLogger, errorMessage, type Level } from "./log.ts";
import { Manager } from "./manager.ts";
import { createMetrics } from "./metrics.ts";

const help = `usage: mull operator [options]

Runs the TestTimePolicy (mull.dev/v1alpha1) operator: for each policy, one vLLM Deployment and
Service per difficulty bin and role, the <policy>-router ConfigMap, status and Events. With
--nats it also writes each policy's snapshot to the fleet bus's KV bucket (leader only, only
when it changed) and plans from the DemandReports the routers publish.

options:
  --kubeconfig PATH        kubeconfig file (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)
  --namespace NS           watch only this namespace (default: all namespaces)
  --identity ID            this replica's leader-election identity (default: $POD_NAME or host-pid)
  --leader-elect BOOL      use a Lease so that one replica reconciles (default: true)
  --lease-name NAME        the Lease's name (default: mull-operator)
  --lease-namespace NS     the Lease's namespace (default: --namespace, $POD_NAMESPACE, or default)
  --lease-duration SEC     how long a lease stays valid without renewal (default: 15)
  --renew-deadline SEC     a leader that cannot renew for this long stops reconciling (default: 10)
  --retry-period SEC       how often to try to acquire or renew the lease (default: 2)
  --resync-period SEC      re-check every policy this often; a no-op resync writes nothing (default: 300)
  --concurrency N          policies reconciled in parallel (default: 4)
  --planner-interval SEC   re-plan planner- and external-mode policies this often (default: 15)
  --metrics-port PORT      port for /metrics, /healthz and /readyz; 0 picks a free one (default: 8080)
  --bind-address ADDR      address for that port (default: 0.0.0.0)
  --keda-port PORT         serve KEDA's external scaler gRPC API on this port, on --bind-address;
                           0 picks a free one (default: off). See operator/keda/README.md
  --alerts-port PORT       serve the alert webhook (POST /alerts/alertmanager, /alerts/grafana) on
                           this port, on --bind-address; 0 picks a free one (default: off). Needs
                           --alerts-token-file or --alerts-basic-auth-file. See docs/alerts.md
  --alerts-token-file FILE        bearer token senders present (the file's content, trimmed)
  --alerts-basic-auth-file FILE   basic auth, one line "user:password"
  --alerts-hmac-secret-file FILE  Grafana's HMAC secret: /alerts/grafana also requires a valid
                                  X-Grafana-Alerting-Signature
  --alerts-hmac-timestamp-header H  the header whose timestamp Grafana signs with the body
  --alerts-tls-cert FILE, --alerts-tls-key FILE  serve the webhook over HTTPS (PEM)
  --log-level LEVEL        debug, info, warn or error (default: info)
${NATS_FLAGS_HELP}  --bucket NAME            KV bucket of policy snapshots (default: ${defaultPolicyBucket})
  --demand-window SEC      sliding window the routers' reports are summed over (default: ${defaultDemandWindowOptions.windowSeconds})
  -h, --help               show this help

Logs are JSON lines on stdout. SIGTERM/SIGINT release the lease and exit 0.
`;

interface AlertsFlags {
  port: number;
  auth: AlertsAuth;
  files: AuthFiles;
  tls?: { certFile: string; keyFile: string };
}

/** The --alerts-* flags, checked: undefined without --alerts-port; throws on a bad combination. */
function alertsFlags(str: (k: string) => string | undefined): AlertsFlags | undefined {
  const port = str("alerts-port");
  const others = [
    "alerts-token-file",
    "alerts-basic-auth-file",
    "alerts-hmac-secret-file",
    "alerts-hmac-timestamp-header",
    "alerts-tls-cert",
    "alerts-tls-key",
  ].filter((k) => str(k) !== undefined);
  if (port === undefined) {
    if (others.length > 0) throw new Error(`--${others[0]} needs --alerts-port`);
    return undefined;
  }
  const n = positive("alerts-port", port, 0);
  if (!Number.isInteger(n) || n > 65535)
    throw new Error(`--alerts-port must be a port, got "${port}"`);
  const cert = str("alerts-tls-cert");
  const key = str("alerts-tls-key");
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error("--alerts-tls-cert and --alerts-tls-key go together");
  }
  for (const [flag, file] of [
    ["alerts-tls-cert", cert],
    ["alerts-tls-key", key],
  ] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new Error(`--${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const files: AuthFiles = {
    tokenFile: str("alerts-token-file"),
    basicAuthFile: str("alerts-basic-auth-file"),
    hmacSecretFile: str("alerts-hmac-secret-file"),
    hmacTimestampHeader: str("alerts-hmac-timestamp-header"),
  };
  return {
    port: n,
    auth: loadAuth(files),
    files,
    ...(cert && key ? { tls: { certFile: cert, keyFile: key } } : {}),
  };
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: "string" },
        namespace: { type: "string" },
        identity: { type: "string" },
        "leader-elect": { type: "string" },
        "lease-name": { type: "string" },
        "lease-namespace": { type: "string" },
        "lease-duration": { type: "string" },
        "renew-deadline": { type: "string" },
        "retry-period": { type: "string" },
        "resync-period": { type: "string" },
        concurrency: { type: "string" },
        "planner-interval": { type: "string" },
        "metrics-port": { type: "string" },
        "bind-address": { type: "string" },
        "keda-port": { type: "string" },
        "alerts-port": { type: "string" },
        "alerts-token-file": { type: "string" },
        "alerts-basic-auth-file": { type: "string" },
        "alerts-hmac-secret-file": { type: "string" },
        "alerts-hmac-timestamp-header": { type: "string" },
        "alerts-tls-cert": { type: "string" },
        "alerts-tls-key": { type: "string" },
        "log-level": { type: "string" },
        ...NATS_FLAGS,
        bucket: { type: "string" },
        "demand-window": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`mull operator: ${errorMessage(err)}\n\n${help}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const str = (k: string) => values[k] as string | undefined;
  let opts: {
    leaseDuration: number;
    renewDeadline: number;
    retryPeriod: number;
    resync: number;
    concurrency: number;
    plannerInterval: number;
    port: number;
    kedaPort: number | undefined;
    alerts: AlertsFlags | undefined;
    demandWindow: number;
  };
  try {
    opts = {
      leaseDuration: positive("lease-duration", str("lease-duration"), 15),
      renewDeadline: positive("renew-deadline", str("renew-deadline"), 10),
      retryPeriod: positive("retry-period", str("retry-period"), 2),
      resync: positive("resync-period", str("resync-period"), 300),
      concurrency: Math.max(1, Math.floor(positive("concurrency", str("concurrency"), 4))),
      plannerInterval: positive("planner-interval", str("planner-interval"), 15),
      port: positive("metrics-port", str("metrics-port"), 8080),
      kedaPort:
        str("keda-port") === undefined ? undefined : positive("keda-port", str("keda-port"), 0),
      alerts: alertsFlags(str),
      demandWindow: positive(
        "demand-window",
        str("demand-window"),
        defaultDemandWindowOptions.windowSeconds,
      ),
    };
    if (opts.renewDeadline >= opts.leaseDuration) {
      throw new Error("--renew-deadline must be shorter than --lease-duration");
    }
  } catch (err) {
    process.stderr.write(`mull operator: ${errorMessage(err)}\n`);
    return 2;
  }
  const level = (str("log-level") ?? "info") as Level;
  const identity = str("identity") ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const log = createLogger(level, { component: "operator", identity });
  const namespace = str("namespace");

  const kubeConfig = new SharedConnectionsKubeConfig();
  const kubeconfigPath = str("kubeconfig");
  try {
    if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
    else kubeConfig.loadFromDefault();
  } catch (err) {
    const which = kubeconfigPath ?? "from $KUBECONFIG, ~/.kube/config or the pod's ServiceAccount";
    process.stderr.write(
      `mull operator: cannot load the kubeconfig ${which}: ${errorMessage(err)}\n`,
    );
    return 2;
  }

  const metrics = createMetrics();
  const leaderElect = (str("leader-elect") ?? "true") !== "false";

  const busOptions = busOptionsFromFlags(values as NatsFlagValues);
  if (Array.isArray(busOptions)) {
    process.stderr.write(`mull operator: ${busOptions.join("; ")}\n`);
    return 2;
  }
  // The manager is made after the bus (it takes the bus's parts); the bus calls back through this.
  let manager: Manager | undefined;
  let bus: { nc: NatsConnection; demand: DemandSubscriber; snapshots: SnapshotWriter } | undefined;
  if (busOptions) {
    log.info("connecting to the fleet bus", { servers: busOptions.servers });
    // Loaded only with --nats: an operator without the bus never needs KV or the demand window.
    const [{ DemandSubscriber }, { SnapshotWriter }] = await Promise.all([
      import("./bus/demand-subscriber.ts"),
      import("./bus/snapshot-writer.ts"),
    ]);
    const nc = await connectBus(busOptions, `mull-operator-${identity}`, (line) => log.info(line));
    bus = {
      nc,
      demand: new DemandSubscriber({
        nc,
        log,
        metrics,
        window: { windowSeconds: opts.demandWindow },
        onChange: (ns, name) => manager?.demandChanged(ns, name),
      }),
      snapshots: new SnapshotWriter({
        nc,
        bucket: str("bucket") ?? defaultPolicyBucket,
        log,
        metrics,
        onReconnect: (keys) => manager?.enqueue(keys),
      }),
    };
  }
  manager = new Manager({
    kubeConfig,
    namespace,
    identity,
    concurrency: opts.concurrency,
    resyncSeconds: opts.resync,
    plannerIntervalSeconds: Math.max(opts.plannerInterval, 0.1),
    leaderElection: leaderElect
      ? {
          name: str("lease-name") ?? "mull-operator",
          namespace: str("lease-namespace") ?? namespace ?? process.env.POD_NAMESPACE ?? "default",
          leaseDurationSeconds: opts.leaseDuration,
          renewDeadlineSeconds: opts.renewDeadline,
          retryPeriodSeconds: opts.retryPeriod,
        }
      : undefined,
    log,
    metrics,
    ...(bus ? { demand: bus.demand, snapshots: bus.snapshots } : {}),
  });
  const running = manager;
  const { server, port } = await serveHttp({
    host: str("bind-address") ?? "0.0.0.0",
    port: opts.port,
    registry: metrics.registry,
    ready: () => running.ready(),
  });
  const keda =
    opts.kedaPort === undefined
      ? undefined
      : await (await import("./keda/server.ts")).startKedaServer({
          host: str("bind-address") ?? "0.0.0.0",
          port: opts.kedaPort,
          policies: running,
          streamCheckMs: 1_000,
          onCall: (method, code) => metrics.kedaCalls.inc({ method, code }),
        });
  if (keda) log.info("serving the KEDA external scaler", { kedaPort: keda.port });
  let alerts: AlertsServer | undefined;
  if (opts.alerts) {
    const { startAlertsServer } = await import("./alerts/server.ts");
    const files = opts.alerts.files;
    try {
      alerts = await startAlertsServer({
        host: str("bind-address") ?? "0.0.0.0",
        port: opts.alerts.port,
        auth: opts.alerts.auth,
        reloadAuth: () => loadAuth(files),
        ...(opts.alerts.tls ? { tls: opts.alerts.tls } : {}),
        leader: () => running.isLeader(),
        sink: running.alertSink(),
        log: log.with({ component: "alerts" }),
        onRequest: (source, code) => metrics.alertRequests.inc({ source, code: String(code) }),
      });
    } catch (err) {
      process.stderr.write(`mull operator: cannot serve the alert webhook: ${errorMessage(err)}\n`);
      server.close();
      await keda?.shutdown();
      return 2;
    }
    log.info("serving the alert webhook", {
      alertsPort: alerts.port,
      tls: opts.alerts.tls !== undefined,
      auth: [
        ...(opts.alerts.auth.token !== undefined ? ["bearer"] : []),
        ...(opts.alerts.auth.basic !== undefined ? ["basic"] : []),
        ...(opts.alerts.auth.hmac ? ["grafana-hmac"] : []),
      ],
    });
  }
  log.info("serving", { port, namespace: namespace ?? "*", leaderElect });

  const done = new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info("shutting down", { signal });
      running
        .stop()
        .then(async () => {
          bus?.demand.close();
          await bus?.nc.drain().catch(() => {});
        })
        .then(() => keda?.shutdown())
        .then(() => alerts?.close())
        .then(() => new Promise<void>((r) => server.close(() => r())))
        .then(
          () => resolve(0),
          (err: unknown) => {
            log.error("shutdown failed", { error: errorMessage(err) });
            resolve(1);
          },
        );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  running.start().catch((err: unknown) => log.error("start failed", { error: errorMessage(err) }));
  const code = await done;
  log.info("stopped", { code });
  // Watches may hold sockets open; the work is done, so leave now.
  setImmediate(() => process.exit(code));
  return code;
}
