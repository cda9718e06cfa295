// npm run cluster:up — start the e2e control plane, or reuse the one already running.
import { clusterUp } from "./cluster.ts";

try {
  const t0 = performance.now();
  const { state, started } = await clusterUp();
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const gpu = `${state.gpu.nodes} GPU nodes × ${state.gpu.gpusPerNode} nvidia.com/gpu`;
  console.error(
    started
      ? `cluster up in ${secs}s: ${state.server}, ${gpu}`
      : `cluster already running since ${state.startedAt}: ${state.server}, ${gpu}`,
  );
  console.error(`logs: ${state.processes[0]?.log.replace(/[^/]+$/, "")}`);
  // stdout carries only the export line, so `eval "$(npm run -s cluster:up)"` works.
  console.log(`export KUBECONFIG=${state.kubeconfig}`);
} catch (err) {
  console.error(`cluster:up failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
