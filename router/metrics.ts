// The router's Prometheus metrics (prefix mull_). Labels are bounded: policy (only configured
// names; anything else is "unknown"), bin, role, strategy, code, and endpoint for backend errors
// (endpoints come from the config, not from clients). Never prompt text.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PoolHealthEvent } from "./backends/endpoint-pool.ts";
import { strategyName } from "./engine/table.ts";

export class RouterMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"policy" | "strategy" | "code">;
  readonly duration: Histogram<"policy" | "code">;
  readonly bin: Counter<"policy" | "bin">;
  readonly generations: Counter<"policy" | "bin" | "strategy">;
  readonly tokens: Counter<"policy" | "bin" | "role">;
  readonly earlyStops: Counter<"policy" | "bin">;
  readonly partials: Counter<"policy" | "bin">;
  readonly backendErrors: Counter<"role" | "endpoint" | "reason">;
  readonly ejections: Counter<"role" | "endpoint" | "cause">;
  readonly readmissions: Counter<"role" | "endpoint">;
  readonly replicaEjected: Gauge<"role" | "endpoint">;
  readonly inFlight: Gauge;
  readonly queued: Gauge;
  readonly queueWait: Histogram;
  readonly binQueueWait: Histogram<"policy" | "bin">;
  readonly configReloads: Counter<"result">;
  readonly httpResponses: Counter<"route" | "code">;
  readonly stepDowns: Counter<"policy" | "bin">;
  readonly demandReports: Counter<"result">;
  readonly policyUpdates: Counter<"result">;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: "mull_requests_total",
      help: "Router requests answered, by policy, strategy used and gRPC status code.",
      labelNames: ["policy", "strategy", "code"],
      registers,
    });
    this.duration = new Histogram({
      name: "mull_request_duration_seconds",
      help: "Time from receiving a request to its terminal answer.",
      labelNames: ["policy", "code"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.bin = new Counter({
      name: "mull_difficulty_bin_total",
      help: "Solved requests by the difficulty bin they were placed in.",
      labelNames: ["policy", "bin"],
      registers,
    });
    this.generations = new Counter({
      name: "mull_generations_total",
      help: "Proposer generations spent, by policy, bin and strategy.",
      labelNames: ["policy", "bin", "strategy"],
      registers,
    });
    this.tokens = new Counter({
      name: "mull_tokens_total",
      help: "Tokens processed per bin and role (proposer prompt+completion, verifier input).",
      labelNames: ["policy", "bin", "role"],
      registers,
    });
    this.earlyStops = new Counter({
      name: "mull_early_stops_total",
      help: "Solved requests whose search adaptive early stopping ended (the vote was decisive).",
      labelNames: ["policy", "bin"],
      registers,
    });
    this.partials = new Counter({
      name: "mull_partial_answers_total",
      help: "Solved requests answered with the best so far (the deadline or a token bound cut the search short).",
      labelNames: ["policy", "bin"],
      registers,
    });
    this.backendErrors = new Counter({
      name: "mull_backend_errors_total",
      help:
        "Backend calls a replica failed (retried on another replica while the call's attempts " +
        "and deadline allow), by reason: timeout, http_5xx, invalid_json, bad_response, errno.",
      labelNames: ["role", "endpoint", "reason"],
      registers,
    });
    this.ejections = new Counter({
      name: "mull_backend_ejections_total",
      help: "Replicas ejected from picking, by cause (failure, or failed_probe after a window).",
      labelNames: ["role", "endpoint", "cause"],
      registers,
    });
    this.readmissions = new Counter({
      name: "mull_backend_readmissions_total",
      help: "Ejected replicas re-admitted after a successful probe call.",
      labelNames: ["role", "endpoint"],
      registers,
    });
    this.replicaEjected = new Gauge({
      name: "mull_backend_replica_ejected",
      help: "1 while a replica is ejected from picking, 0 once re-admitted.",
      labelNames: ["role", "endpoint"],
      registers,
    });
    this.inFlight = new Gauge({
      name: "mull_requests_in_flight",
      help: "Requests being solved now.",
      registers,
    });
    this.queued = new Gauge({
      name: "mull_requests_queued",
      help: "Requests waiting for a slot.",
      registers,
    });
    this.queueWait = new Histogram({
      name: "mull_queue_wait_seconds",
      help: "Time requests waited for a slot before being solved.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    // Per bin, for the scaling alerts (charts/mull/rules): the same wait as above plus, for a bin
    // scaled to zero, the wait for its first ready replica, observed when the request leaves its bin.
    this.binQueueWait = new Histogram({
      name: "mull_bin_queue_wait_seconds",
      help: "Time requests of a difficulty bin waited before their search ran: for a slot, and for a ready replica of the bin.",
      labelNames: ["policy", "bin"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    });
    this.configReloads = new Counter({
      name: "mull_config_reloads_total",
      help: "Policy config reloads by result (ok, rejected).",
      labelNames: ["result"],
      registers,
    });
    this.httpResponses = new Counter({
      name: "mull_http_responses_total",
      help: "Responses of the OpenAI-compatible HTTP front door, by route and HTTP status (refusals before a request reaches the engine included).",
      labelNames: ["route", "code"],
      registers,
    });
    this.stepDowns = new Counter({
      name: "mull_level_step_downs_total",
      help: "Requests run one budget level lower because the router's own queue for the bin was long.",
      labelNames: ["policy", "bin"],
      registers,
    });
    this.demandReports = new Counter({
      name: "mull_demand_reports_total",
      help: "DemandReports published on the fleet bus, by result (ok, error).",
      labelNames: ["result"],
      registers,
    });
    this.policyUpdates = new Counter({
      name: "mull_policy_updates_total",
      help: "Policy snapshots from the fleet bus, by result (applied, deleted, rejected).",
      labelNames: ["result"],
      registers,
    });
  }

  recordHealth(event: PoolHealthEvent): void {
    const labels = { role: event.pool.role, endpoint: event.endpoint };
    if (event.kind === "readmitted") {
      this.readmissions.inc(labels);
      this.replicaEjected.set(labels, 0);
      return;
    }
    this.ejections.inc({ ...labels, cause: event.probe ? "failed_probe" : "failure" });
    this.replicaEjected.set(labels, 1);
  }
}

// One log line per replica health change.
export function describeHealth(event: PoolHealthEvent): string {
  const where = `${event.pool.role} pool "${event.pool.model}": replica ${event.endpoint}`;
  if (event.kind === "readmitted") return `${where} re-admitted: its probe call succeeded`;
  const why = event.probe
    ? `its probe call failed (${event.reason})`
    : `a call failed (${event.reason})`;
  return `${where} ejected for ${event.windowMs} ms: ${why}`;
}

// Strategy enum value → its name for the strategy label ("auto" when the table decides).
export function strategyLabel(strategy: number): string {
  if (strategy === 0) return "auto";
  return strategyName(strategy) ?? "unknown";
}
