// The metric names the dashboards and alert rules query, taken from the code that exports them
// (router/metrics.ts, operator/metrics.ts) rather than copied, so a rename breaks generation
// instead of silently emptying a panel.
import type { Registry } from "prom-client";
import { createMetrics } from "../operator/metrics.ts";
import { RouterMetrics } from "../router/metrics.ts";

/** name(field) → the Prometheus name of `metrics[field]`, found in the object's own registry. */
function namesOf<T extends { registry: Registry }>(metrics: T): (field: keyof T) => string {
  const names = new Map<unknown, string>(
    metrics.registry.getMetricsAsArray().map((m) => [m as unknown, m.name]),
  );
  return (field) => {
    const name = names.get(metrics[field]);
    if (name === undefined) throw new Error(`${String(field)} is not a registered metric`);
    return name;
  };
}

const routerMetrics = new RouterMetrics({ defaultMetrics: false });
const operatorMetrics = createMetrics();

export const router = namesOf(routerMetrics);
export const operator = namesOf(operatorMetrics);

/** Every name the router and the operator export (default process metrics included). */
export const exported = new Set<string>([
  ...new RouterMetrics().registry.getMetricsAsArray().map((m) => m.name),
  ...operatorMetrics.registry.getMetricsAsArray().map((m) => m.name),
]);

/** The operator's process metrics carry its prefix (collectDefaultMetrics in operator/metrics.ts). */
export function operatorProcess(metric: string): string {
  const name = [...exported].find((n) => n.startsWith("mull_operator_") && n.endsWith(metric));
  if (name === undefined) throw new Error(`the operator exports no ${metric}`);
  return name;
}

/**
 * vLLM's own names (vLLM V1, see shared VLLM.md; `gpu_cache_usage_perc` is gone). The sim
 * exports the same ones (sim/metrics.ts), and dashboards.test.ts scrapes a sim replica to hold
 * the Fleet dashboard to them.
 */
export const vllm = {
  running: "vllm:num_requests_running",
  waiting: "vllm:num_requests_waiting",
  kvCache: "vllm:kv_cache_usage_perc",
  promptTokens: "vllm:prompt_tokens_total",
  generationTokens: "vllm:generation_tokens_total",
  success: "vllm:request_success_total",
  latency: "vllm:e2e_request_latency_seconds",
} as const;
