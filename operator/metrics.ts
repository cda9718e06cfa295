// Prometheus metrics (prefix mull_). Labels stay bounded: result, kind, verb, resource, and for
// per-pool gauges policy/namespace/bin/role (bins <= 10, two roles).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<"result">;
  reconcileDuration: Histogram<"result">;
  writes: Counter<"verb" | "kind">;
  poolReplicas: Gauge<"namespace" | "policy" | "bin" | "role" | "state">;
  policyGpus: Gauge<"namespace" | "policy" | "kind">;
  leader: Gauge;
  queueDepth: Gauge;
  informerRestarts: Counter<"informer">;
  demand: Gauge<"namespace" | "policy" | "bin">;
  binMaxLevel: Gauge<"namespace" | "policy" | "bin">;
  binExpectedAccuracy: Gauge<"namespace" | "policy" | "bin">;
  plannerDecisions: Counter<"reason">;
  busWrites: Counter<"op" | "result">;
  demandReports: Counter<"result">;
  kedaCalls: Counter<"method" | "code">;
  alerts: Counter<"source" | "action" | "result">;
  alertRequests: Counter<"source" | "code">;
}

export function createMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "mull_operator_" });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: "mull_operator_reconciles_total",
      help: "Reconciles by result (success, error).",
      labelNames: ["result"],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: "mull_operator_reconcile_duration_seconds",
      help: "Time to reconcile one policy.",
      labelNames: ["result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    writes: new Counter({
      name: "mull_operator_writes_total",
      help: "Writes to the API server by verb (apply, delete, status, event) and kind.",
      labelNames: ["verb", "kind"],
      registers,
    }),
    poolReplicas: new Gauge({
      name: "mull_pool_replicas",
      help: "Replicas per pool: state=desired, ready, or planned (what the planner wants, in planner and external modes).",
      labelNames: ["namespace", "policy", "bin", "role", "state"],
      registers,
    }),
    policyGpus: new Gauge({
      name: "mull_policy_gpus",
      help: "GPUs per policy: kind=requested, budget or pending.",
      labelNames: ["namespace", "policy", "kind"],
      registers,
    }),
    leader: new Gauge({
      name: "mull_operator_leader",
      help: "1 while this replica holds the leader Lease.",
      registers,
    }),
    queueDepth: new Gauge({
      name: "mull_operator_queue_depth",
      help: "Policies waiting in the work queue.",
      registers,
    }),
    informerRestarts: new Counter({
      name: "mull_operator_informer_restarts_total",
      help: "Watches restarted after an error.",
      labelNames: ["informer"],
      registers,
    }),
    demand: new Gauge({
      name: "mull_operator_demand_requests_per_second",
      help: "Demand per bin the routers report, as the planner last read it.",
      labelNames: ["namespace", "policy", "bin"],
      registers,
    }),
    binMaxLevel: new Gauge({
      name: "mull_operator_bin_max_level",
      help: "The budget level in force per bin (0-based; the planner's cap when budget-limited).",
      labelNames: ["namespace", "policy", "bin"],
      registers,
    }),
    binExpectedAccuracy: new Gauge({
      name: "mull_operator_bin_expected_accuracy",
      help: "expectedAccuracy of the strategy-table level in force per bin (absent when the table has none).",
      labelNames: ["namespace", "policy", "bin"],
      registers,
    }),
    plannerDecisions: new Counter({
      name: "mull_operator_planner_decisions_total",
      help: "Planner decisions that changed a pool or a level cap, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    busWrites: new Counter({
      name: "mull_operator_bus_writes_total",
      help: "Policy snapshot writes to the fleet bus's KV bucket by op (put, delete) and result (written, unchanged, deferred).",
      labelNames: ["op", "result"],
      registers,
    }),
    demandReports: new Counter({
      name: "mull_operator_demand_reports_total",
      help: "DemandReports received from routers, by result (accepted, rejected).",
      labelNames: ["result"],
      registers,
    }),
    kedaCalls: new Counter({
      name: "mull_operator_keda_calls_total",
      help: "Calls to the KEDA external scaler (--keda-port) by method and gRPC status code.",
      labelNames: ["method", "code"],
      registers,
    }),
    alerts: new Counter({
      name: "mull_alerts_total",
      help: "Alerts the webhook (--alerts-port) handled, by source (alertmanager, grafana), action (the mull_action label; none without one) and result (applied, clamped, duplicate, ..., expired).",
      labelNames: ["source", "action", "result"],
      registers,
    }),
    alertRequests: new Counter({
      name: "mull_alerts_requests_total",
      help: "Requests to the alert webhook by source (alertmanager, grafana, unknown) and HTTP status code.",
      labelNames: ["source", "code"],
      registers,
    }),
  };
}
