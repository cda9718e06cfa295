// Assembles a router from its parts: policy source → backends → admission → one shared request
// handling → the gRPC server and (optionally) the OpenAI-compatible HTTP front door, plus the
// metrics endpoint. The CLI, the integration tests and the bench all start routers here, so
// they run the same wiring.
import type { NatsConnection } from "@nats-io/transport-node";
import { Admission } from "./admission.ts";
import { FleetBackends } from "./backends/fleet-backends.ts";
import type { CallOptions } from "./backends/pool-caller.ts";
import type { EjectionOptions } from "./backends/replica.ts";
import { BinTraffic } from "./bin-traffic.ts";
import { DemandReporter } from "./bus/demand-reporter.ts";
import { type ConnectionLimits, type GrpcServer, startGrpcServer } from "./grpc/server.ts";
import type { ApiKeys } from "./http/api-keys.ts";
import { type HttpFrontDoor, startHttpFrontDoor } from "./http/server.ts";
import { describeHealth, RouterMetrics } from "./metrics.ts";
import { type MetricsServer, startMetricsServer } from "./metrics-server.ts";
import type { PolicySource } from "./policy/policy-source.ts";
import type { DeadlineOptions } from "./service/deadline.ts";
import { type RouterEngine, solveService } from "./service/solve-service.ts";

export interface RouterOptions {
  policies: PolicySource;
  engine: RouterEngine;
  host?: string;
  port?: number;
  // Serve /metrics and /healthz here; 0 picks a free port; undefined serves none.
  metricsPort?: number;
  metricsHost?: string;
  // Serve the OpenAI-compatible front door here; 0 picks a free port; undefined serves none.
  httpPort?: number;
  // Bearer keys the front door requires; undefined leaves it open.
  apiKeys?: ApiKeys;
  // The deadline of an HTTP request that sets none.
  httpDefaultTimeoutMs?: number;
  maxInFlight?: number;
  maxQueue?: number;
  maxReceiveMessageBytes?: number;
  // Client connection keepalive, idle timeout and max age (grpc/server.ts has the defaults).
  connections?: Partial<ConnectionLimits>;
  // Per-call timeout: callTimeoutMs plus callTimeoutPerTokenMs for each token it may generate.
  callTimeoutMs?: number;
  callTimeoutPerTokenMs?: number;
  maxAttempts?: number;
  ejection?: Partial<EjectionOptions>;
  // The clock ejection windows run on (tests inject one).
  now?: () => number;
  // Operational log lines (replica ejected, re-admitted).
  log?: (line: string) => void;
  deadline?: DeadlineOptions;
  shutdownGraceMs?: number;
  defaultMetrics?: boolean;
  // The fleet bus: demand reports go out on it, and the router closes it on shutdown.
  bus?: { nc: NatsConnection; reportIntervalMs?: number; routerId?: string };
  // Requests per ready proposer replica running in a bin before new ones step down a level.
  stepDownQueue?: number;
  // The longest a request without a deadline waits for a bin scaled to zero.
  maxReplicaWaitMs?: number;
  logError?: (message: string, error: unknown) => void;
}

export const ROUTER_DEFAULTS = {
  host: "0.0.0.0",
  port: 50051,
  maxInFlight: 256,
  maxQueue: 1024,
  maxReceiveMessageBytes: 1 << 20,
  callTimeoutMs: 30_000,
  callTimeoutPerTokenMs: 50,
  maxAttempts: 3,
  shutdownGraceMs: 30_000,
  httpDefaultTimeoutMs: 300_000,
} as const;

export interface RunningRouter {
  port: number;
  metricsPort: number | undefined;
  httpPort: number | undefined;
  metrics: RouterMetrics;
  admission: Admission;
  backends: FleetBackends;
  traffic: BinTraffic;
  reporter: DemandReporter | undefined;
  // Drain and stop; idempotent.
  shutdown(graceMs?: number): Promise<void>;
}

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const metrics = new RouterMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const admission = new Admission({
    maxInFlight: options.maxInFlight ?? ROUTER_DEFAULTS.maxInFlight,
    maxQueue: options.maxQueue ?? ROUTER_DEFAULTS.maxQueue,
  });
  const call: CallOptions = {
    callTimeoutMs: options.callTimeoutMs ?? ROUTER_DEFAULTS.callTimeoutMs,
    callTimeoutPerTokenMs: options.callTimeoutPerTokenMs ?? ROUTER_DEFAULTS.callTimeoutPerTokenMs,
    maxAttempts: options.maxAttempts ?? ROUTER_DEFAULTS.maxAttempts,
    onBackendError: (pool, endpoint, reason) =>
      metrics.backendErrors.inc({ role: pool.role, endpoint, reason }),
  };
  const backends = new FleetBackends({
    call,
    ...(options.ejection ? { ejection: options.ejection } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.log ? { log: options.log } : {}),
    onHealth: (event) => {
      metrics.recordHealth(event);
      options.log?.(describeHealth(event));
    },
  });
  const unsubscribe = options.policies.subscribe((policies) => backends.retain(policies.values()));
  const reporter = options.bus
    ? new DemandReporter({
        nc: options.bus.nc,
        policies: options.policies,
        ...(options.bus.reportIntervalMs !== undefined
          ? { intervalMs: options.bus.reportIntervalMs }
          : {}),
        ...(options.bus.routerId !== undefined ? { routerId: options.bus.routerId } : {}),
        onPublished: (_report, error) =>
          metrics.demandReports.inc({ result: error ? "error" : "ok" }),
      })
    : undefined;
  const traffic = new BinTraffic({
    policies: options.policies,
    ...(reporter
      ? {
          counters: reporter.counters,
          onWaiting: (policy: { namespace: string; name: string }) => reporter.urgent(policy),
        }
      : {}),
    ...(options.stepDownQueue !== undefined ? { stepDownQueue: options.stepDownQueue } : {}),
    ...(options.maxReplicaWaitMs !== undefined
      ? { maxReplicaWaitMs: options.maxReplicaWaitMs }
      : {}),
  });

  let draining = false;
  const service = solveService({
    policies: options.policies,
    backends,
    engine: options.engine,
    admission,
    metrics,
    traffic,
    ...(options.deadline ? { deadline: options.deadline } : {}),
    ...(options.logError ? { logError: options.logError } : {}),
  });
  const grpc: GrpcServer = await startGrpcServer(service, {
    host: options.host ?? ROUTER_DEFAULTS.host,
    port: options.port ?? ROUTER_DEFAULTS.port,
    maxReceiveMessageBytes:
      options.maxReceiveMessageBytes ?? ROUTER_DEFAULTS.maxReceiveMessageBytes,
    ...(options.connections ? { connections: options.connections } : {}),
  });
  let http: HttpFrontDoor | undefined;
  if (options.httpPort !== undefined) {
    http = await startHttpFrontDoor(service, {
      host: options.host ?? ROUTER_DEFAULTS.host,
      port: options.httpPort,
      maxBodyBytes: options.maxReceiveMessageBytes ?? ROUTER_DEFAULTS.maxReceiveMessageBytes,
      defaultTimeoutMs: options.httpDefaultTimeoutMs ?? ROUTER_DEFAULTS.httpDefaultTimeoutMs,
      metrics,
      ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
    });
  }
  let metricsServer: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    metricsServer = await startMetricsServer({
      registry: metrics.registry,
      port: options.metricsPort,
      host: options.metricsHost ?? options.host ?? ROUTER_DEFAULTS.host,
      healthy: () => !draining,
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    port: grpc.port,
    metricsPort: metricsServer?.port,
    httpPort: http?.port,
    metrics,
    admission,
    backends,
    traffic,
    reporter,
    shutdown: (graceMs = options.shutdownGraceMs ?? ROUTER_DEFAULTS.shutdownGraceMs) => {
      stopping ??= (async () => {
        draining = true;
        // Health turns NOT_SERVING first (synchronously), then the queue is failed.
        const grpcDrained = grpc.shutdown(graceMs);
        admission.close("router shutting down");
        await Promise.all([grpcDrained, http?.shutdown(graceMs)]);
        await options.apiKeys?.close();
        unsubscribe();
        backends.close();
        await metricsServer?.close();
        // The last report covers the requests that finished while draining.
        await reporter?.close();
        await options.policies.close();
        await options.bus?.nc.drain().catch(() => {});
      })();
      return stopping;
    },
  };
}
