// `mull router`: serve the gRPC router for the policies in a RouterConfig YAML file.
import { parseArgs } from "node:util";
import { defaultPolicyBucket } from "../proto/bus/naming.ts";
import { busOptionsFromFlags, connectBus, NATS_FLAGS, NATS_FLAGS_HELP } from "./bus/connection.ts";
import { DEFAULT_REPORT_INTERVAL_MS } from "./bus/demand-reporter.ts";
import { createEngine } from "./engine/engine.ts";
import { ENGINE_FLAGS, ENGINE_FLAGS_HELP, engineOptionsFromFlags } from "./engine-flags.ts";
import { ApiKeys } from "./http/api-keys.ts";
import { NatsPolicySource } from "./policy/nats-source.ts";
import type { PolicySource } from "./policy/policy-source.ts";
import { YamlFilePolicySource } from "./policy/yaml-file-source.ts";
import { ROUTER_DEFAULTS, startRouter } from "./router-process.ts";

const USAGE = `usage: mull router (--config router.yaml | --nats URL) [options]

Serves mull.v1.Router (plus grpc.health.v1 and server reflection) for the policies in a
RouterConfig YAML file (protobuf JSON mapping; the operator writes the same shape into the
<policy>-router ConfigMap), or for the PolicySnapshots the operator writes to the fleet bus's
JetStream KV bucket. Either is watched; a bad edit or message is logged and the last good
snapshot kept. With --nats the router also publishes a DemandReport per policy every interval.

options:
  --config PATH              RouterConfig YAML file (without --nats)
${NATS_FLAGS_HELP}  --bucket NAME              KV bucket of policy snapshots (default ${defaultPolicyBucket})
  --policies NS/NAME,...     serve only these policies from the bucket (default: all)
  --report-interval SEC      how often demand is reported (default ${DEFAULT_REPORT_INTERVAL_MS / 1000})
  --step-down-queue N        run one budget level lower while N requests per ready proposer
                             replica already run in the bin (default 0: never)
  --replica-wait-ms N        longest wait for a bin scaled to zero when the call has no deadline
                             (default 120000)
  --host HOST                listen address (default ${ROUTER_DEFAULTS.host})
  --port N                   gRPC port (default ${ROUTER_DEFAULTS.port})
  --metrics-port N           /metrics and /healthz port (default 9090; -1 to disable)
  --http-port N              serve the OpenAI-compatible API (/v1/chat/completions,
                             /v1/completions, /v1/models) on this port (default: off)
  --api-keys-file PATH       require "Authorization: Bearer <key>" on the HTTP port, keys one
                             per line (a mounted Secret works; reloaded when it changes)
  --http-timeout-ms N        deadline of an HTTP request that sets none
                             (default ${ROUTER_DEFAULTS.httpDefaultTimeoutMs})
  --max-in-flight N          requests solved at once (default ${ROUTER_DEFAULTS.maxInFlight})
  --max-queue N              requests waiting for a slot; beyond it RESOURCE_EXHAUSTED
                             (default ${ROUTER_DEFAULTS.maxQueue})
  --max-message-bytes N      largest request accepted (default ${ROUTER_DEFAULTS.maxReceiveMessageBytes})
  --call-timeout-ms N        bound on one backend HTTP call that generates nothing
                             (default ${ROUTER_DEFAULTS.callTimeoutMs})
  --call-timeout-per-token-ms N
                             added to that bound per token the call may generate (its
                             max_tokens) (default ${ROUTER_DEFAULTS.callTimeoutPerTokenMs})
  --shutdown-grace-ms N      on SIGTERM, how long in-flight requests may finish
                             (default ${ROUTER_DEFAULTS.shutdownGraceMs})
${ENGINE_FLAGS_HELP}  -h, --help                 this text
`;

export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    process.stderr.write(`mull router: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const bus = busOptionsFromFlags(values);
  if (Array.isArray(bus)) {
    process.stderr.write(`mull router: ${bus.join("; ")}\n`);
    return 2;
  }
  if ((values.config === undefined) === (bus === undefined)) {
    process.stderr.write(`mull router: give one of --config or --nats\n\n${USAGE}`);
    return 2;
  }
  const numbers: Record<string, number> = {};
  for (const key of [
    "port",
    "metrics-port",
    "http-port",
    "http-timeout-ms",
    "max-in-flight",
    "max-queue",
    "max-message-bytes",
    "call-timeout-ms",
    "call-timeout-per-token-ms",
    "shutdown-grace-ms",
    "step-down-queue",
    "replica-wait-ms",
  ] as const) {
    const raw = values[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || (n < 0 && key !== "metrics-port")) {
      process.stderr.write(`mull router: --${key} must be a non-negative integer, got "${raw}"\n`);
      return 2;
    }
    numbers[key] = n;
  }
  const reportSeconds = Number(values["report-interval"] ?? DEFAULT_REPORT_INTERVAL_MS / 1000);
  if (!(reportSeconds > 0)) {
    process.stderr.write(
      `mull router: --report-interval must be a positive number of seconds, got "${values["report-interval"]}"\n`,
    );
    return 2;
  }

  const engineOptions = engineOptionsFromFlags(values);
  if (Array.isArray(engineOptions)) {
    process.stderr.write(`mull router: ${engineOptions.join("; ")}\n`);
    return 2;
  }

  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  let router: Awaited<ReturnType<typeof startRouter>> | undefined;
  let policies: PolicySource;
  let nc: Awaited<ReturnType<typeof connectBus>> | undefined;
  try {
    if (bus) {
      nc = await connectBus(bus, "mull-router", log);
      const only = (values.policies ?? "").split(",").filter((p) => p.trim() !== "");
      policies = await NatsPolicySource.open(nc, {
        bucket: values.bucket ?? defaultPolicyBucket,
        only: only.map((p) => p.trim()),
        onEvent: (e) => {
          if (e.kind === "applied") {
            router?.metrics.policyUpdates.inc({
              result: e.operation === "PUT" ? "applied" : "deleted",
            });
            log(`policy ${e.key}: ${e.operation === "PUT" ? "updated" : "deleted"}`);
          } else if (e.kind === "rejected") {
            router?.metrics.policyUpdates.inc({ result: "rejected" });
            log(`policy ${e.key}: kept the last good snapshot: ${e.error}`);
          } else if (e.kind === "synced") log(`policies synced from the bus: ${e.policies}`);
          else log(`policy bus: ${e.error}`);
        },
      });
    } else {
      const path = values.config as string;
      policies = await YamlFilePolicySource.open(path, {
        onReload: ({ ok, error }) => {
          router?.metrics.configReloads.inc({ result: ok ? "ok" : "rejected" });
          log(ok ? `reloaded ${path}` : `kept the last good config: ${error?.message}`);
        },
      });
    }
  } catch (error) {
    process.stderr.write(`mull router: ${(error as Error).message}\n`);
    return 1;
  }
  let apiKeys: ApiKeys | undefined;
  if (values["api-keys-file"] !== undefined) {
    if (numbers["http-port"] === undefined) {
      process.stderr.write("mull router: --api-keys-file needs --http-port\n");
      return 2;
    }
    try {
      apiKeys = await ApiKeys.open(values["api-keys-file"], {
        onReload: ({ ok, error }) =>
          log(ok ? "reloaded the API keys" : `kept the last good API keys: ${error?.message}`),
      });
    } catch (error) {
      process.stderr.write(`mull router: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const metricsPort = numbers["metrics-port"] ?? 9090;
  router = await startRouter({
    policies,
    engine: createEngine(engineOptions),
    host: values.host ?? ROUTER_DEFAULTS.host,
    port: numbers.port ?? ROUTER_DEFAULTS.port,
    ...(metricsPort >= 0 ? { metricsPort } : {}),
    ...pick(numbers, "max-in-flight", "maxInFlight"),
    ...pick(numbers, "max-queue", "maxQueue"),
    ...pick(numbers, "max-message-bytes", "maxReceiveMessageBytes"),
    ...pick(numbers, "call-timeout-ms", "callTimeoutMs"),
    ...pick(numbers, "call-timeout-per-token-ms", "callTimeoutPerTokenMs"),
    ...pick(numbers, "shutdown-grace-ms", "shutdownGraceMs"),
    ...pick(numbers, "http-port", "httpPort"),
    ...pick(numbers, "http-timeout-ms", "httpDefaultTimeoutMs"),
    ...(apiKeys ? { apiKeys } : {}),
    ...pick(numbers, "step-down-queue", "stepDownQueue"),
    ...pick(numbers, "replica-wait-ms", "maxReplicaWaitMs"),
    ...(nc ? { bus: { nc, reportIntervalMs: reportSeconds * 1000 } } : {}),
    logError: (message, error) => log(`${message}\n${(error as Error)?.stack ?? ""}`),
    log,
  });
  log(
    `mull router: gRPC on :${router.port}` +
      (router.httpPort !== undefined
        ? `, OpenAI API on :${router.httpPort}${apiKeys ? ` (${apiKeys.size} API keys)` : ""}`
        : "") +
      (router.metricsPort !== undefined ? `, metrics on :${router.metricsPort}` : "") +
      `, policies: ${policies.names().join(", ") || "none"}`,
  );

  // SIGTERM/SIGINT: stop taking requests, let the ones in flight finish (bounded), exit.
  const running = router;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: draining`);
      running.shutdown().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  log("stopped");
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      "metrics-port": { type: "string" },
      "http-port": { type: "string" },
      "api-keys-file": { type: "string" },
      "http-timeout-ms": { type: "string" },
      "max-in-flight": { type: "string" },
      "max-queue": { type: "string" },
      "max-message-bytes": { type: "string" },
      "call-timeout-ms": { type: "string" },
      "call-timeout-per-token-ms": { type: "string" },
      "shutdown-grace-ms": { type: "string" },
      ...NATS_FLAGS,
      bucket: { type: "string" },
      policies: { type: "string" },
      "report-interval": { type: "string" },
      "step-down-queue": { type: "string" },
      "replica-wait-ms": { type: "string" },
      ...ENGINE_FLAGS,
      help: { type: "boolean", short: "h" },
    },
  });
}

function pick(numbers: Record<string, number>, flag: string, key: string): Record<string, number> {
  const n = numbers[flag];
  return n === undefined ? {} : { [key]: n };
}
