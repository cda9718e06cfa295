// The /metrics a vLLM replica exposes, under vLLM's names, in a registry of its own so that
// many replicas can live in one process.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BatchScheduler } from "./batch-scheduler.ts";

export interface ReplicaMetrics {
  registry: Registry;
  promptTokens: Counter<"model_name">;
  generationTokens: Counter<"model_name">;
  requestSuccess: Counter<"model_name" | "finished_reason">;
  e2eLatency: Histogram<"model_name">;
}

export function replicaMetrics(model: string, scheduler: BatchScheduler): ReplicaMetrics {
  const registry = new Registry();
  const labels = { model_name: model };
  const registers = [registry];
  new Gauge({
    name: "vllm:num_requests_running",
    help: "Number of requests in model execution batches.",
    labelNames: ["model_name"],
    registers,
    collect() {
      this.set(labels, scheduler.running);
    },
  });
  new Gauge({
    name: "vllm:num_requests_waiting",
    help: "Number of requests waiting to be processed.",
    labelNames: ["model_name"],
    registers,
    collect() {
      this.set(labels, scheduler.waiting);
    },
  });
  new Gauge({
    name: "vllm:kv_cache_usage_perc",
    help: "KV-cache usage. 1 means 100 percent usage.",
    labelNames: ["model_name"],
    registers,
    collect() {
      this.set(labels, scheduler.kvCacheUsage);
    },
  });
  const promptTokens = new Counter({
    name: "vllm:prompt_tokens_total",
    help: "Number of prefill tokens processed.",
    labelNames: ["model_name"],
    registers,
  });
  const generationTokens = new Counter({
    name: "vllm:generation_tokens_total",
    help: "Number of generation tokens processed.",
    labelNames: ["model_name"],
    registers,
  });
  const requestSuccess = new Counter({
    name: "vllm:request_success_total",
    help: "Count of successfully processed requests.",
    labelNames: ["model_name", "finished_reason"],
    registers,
  });
  const e2eLatency = new Histogram({
    name: "vllm:e2e_request_latency_seconds",
    help: "Histogram of end to end request latency in seconds.",
    labelNames: ["model_name"],
    buckets: [0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120],
    registers,
  });
  // Zero-valued series from the start, as vLLM shows them before the first request.
  promptTokens.inc(labels, 0);
  generationTokens.inc(labels, 0);
  return { registry, promptTokens, generationTokens, requestSuccess, e2eLatency };
}
