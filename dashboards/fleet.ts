// Fleet: vLLM's own metrics per pool. The chart's PodMonitor (metrics.serviceMonitor.enabled)
// scrapes the pool pods and copies their mull.dev/{policy,bin,role} labels onto every series.
import { vllm } from "./metrics.ts";
import { dashboard, rateBy, row, sel, timeseries } from "./panels.ts";

const pool = ["policy", "bin", "role"];
const legend = "{{policy}} b{{bin}} {{role}}";

export function fleetDashboard() {
  const perPool = (m: string, agg = "sum") => `${agg} by (${pool.join(", ")}) (${m}${sel()})`;
  return dashboard(
    "mull-fleet",
    "Mull / Fleet",
    "vLLM's own metrics for every Mull pool (proposers and PRM verifiers).",
    vllm.running,
  )
    .withRow(row("Load"))
    .withPanel(timeseries("Requests running", [[perPool(vllm.running), legend]]))
    .withPanel(
      timeseries("Requests waiting", [[perPool(vllm.waiting), legend]], {
        description: "Requests queued inside vLLM: the pool is saturated.",
      }),
    )
    .withPanel(
      timeseries("KV cache usage", [[perPool(vllm.kvCache, "max"), legend]], {
        unit: "percentunit",
        min: 0,
        max: 1,
        description: "The fullest replica of each pool.",
      }),
    )
    .withPanel(
      timeseries("Replicas scraped", [
        [`count by (${pool.join(", ")}) (${vllm.running}${sel()})`, legend],
      ]),
    )
    .withRow(row("Throughput"))
    .withPanel(
      timeseries("Generation tokens/s", [[rateBy(pool, vllm.generationTokens), legend]], {
        unit: "short",
      }),
    )
    .withPanel(
      timeseries("Prompt tokens/s", [[rateBy(pool, vllm.promptTokens), legend]], { unit: "short" }),
    )
    .withPanel(
      timeseries(
        "Requests finished by reason",
        [[rateBy([...pool, "finished_reason"], vllm.success), `${legend} {{finished_reason}}`]],
        { unit: "reqps" },
      ),
    )
    .withPanel(
      timeseries(
        "End-to-end latency p95",
        [
          [
            `histogram_quantile(0.95, ${rateBy(["le", ...pool], `${vllm.latency}_bucket`)})`,
            legend,
          ],
        ],
        { unit: "s" },
      ),
    );
}
