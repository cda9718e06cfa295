// npm run cluster:status — what the harness has running (cluster and nats-server), pid by pid.
import { isRunning } from "./processes.ts";
import { type AnyState, readState, stateDir } from "./state.ts";

const dir = stateDir();
let anything = false;
for (const kind of ["cluster", "nats"] as const) {
  const s: AnyState | undefined = readState(dir, kind);
  if (!s) {
    console.log(`${kind}: not running`);
    continue;
  }
  anything = true;
  const where = s.kind === "cluster" ? `${s.server} (KUBECONFIG=${s.kubeconfig})` : s.url;
  console.log(`${kind}: ${s.ready ? "up" : "starting or broken"} since ${s.startedAt} at ${where}`);
  if (s.kind === "cluster") {
    console.log(
      `  ${s.gpu.nodes} GPU nodes × ${s.gpu.gpusPerNode} nvidia.com/gpu (${s.gpu.product})`,
    );
  }
  for (const p of s.processes) {
    const alive = isRunning(p.pid, p.bin);
    console.log(
      `  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${alive ? "running" : "DEAD"}  log ${p.log}`,
    );
  }
}
if (!anything) console.log(`(state directory ${dir})`);
