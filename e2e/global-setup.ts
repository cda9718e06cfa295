// node --test --test-global-setup=e2e/global-setup.ts: brings the control plane and nats-server up
// once for the whole run (reusing them when a developer already has them up), exports where they
// are to the test processes, and at the end stops what it started and proves nothing is left:
// no harness process, no listening port, no data directory. A leftover fails the run loudly.
import { bins, cacheDir } from "./bins.ts";
import { clusterDown, clusterUp, describeLeftovers, leftovers } from "./cluster/cluster.ts";
import { strayProcesses } from "./cluster/processes.ts";
import type { ClusterState, NatsState } from "./cluster/state.ts";
import { stateDir } from "./cluster/state.ts";
import { natsDown, natsLeftovers, natsUp } from "./nats/nats.ts";
import { monitoringLeftovers } from "./prometheus.ts";

let ownCluster: ClusterState | undefined;
let ownNats: NatsState | undefined;

export async function globalSetup(): Promise<void> {
  const dir = stateDir();
  // Test processes inherit this environment: they find the same state and the same cluster.
  process.env.MULL_E2E_STATE_DIR = dir;
  const [c, n] = await Promise.all([
    clusterUp({ dir, startedBy: "global-setup" }),
    natsUp({ dir, startedBy: "global-setup" }),
  ]);
  if (c.started) ownCluster = c.state;
  if (n.started) ownNats = n.state;
  process.env.KUBECONFIG = c.state.kubeconfig;
  process.env.MULL_E2E_KUBECONFIG = c.state.kubeconfig;
  process.env.MULL_E2E_NATS_URL = n.state.url;
  process.env.MULL_E2E_KUBECTL = bins.kubectl;
  process.env.MULL_E2E_HELM = bins.helm;
  console.error(
    `e2e: cluster ${c.started ? "started" : "reused"} at ${c.state.server}, ` +
      `nats-server ${n.started ? "started" : "reused"} at ${n.state.url}`,
  );
}

let tornDown = false;

export async function globalTeardown(): Promise<void> {
  // Node 24's runner calls this again (on its next beforeExit) if it throws or keeps the loop busy:
  // run once, and report failure through the exit code rather than an exception.
  if (tornDown) return;
  tornDown = true;
  const dir = stateDir();
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  // A cluster or nats-server that was already up before the run belongs to the developer: leave it.
  if (ownNats) {
    const s = ownNats;
    await attempt("nats:down", () => natsDown(dir));
    await attempt("nats-server leftovers", async () => {
      const left = await natsLeftovers(s);
      if (left) throw new Error(left);
    });
  }
  if (ownCluster) {
    const s = ownCluster;
    await attempt("cluster:down", () => clusterDown(dir));
    await attempt("cluster leftovers", async () => {
      const left = describeLeftovers(await leftovers(s));
      if (left) throw new Error(left);
    });
  }
  // Prometheus and Alertmanager (e2e/prometheus.ts) live only as long as their test.
  await attempt("monitoring leftovers", async () => {
    const left = monitoringLeftovers(dir);
    if (left) throw new Error(left);
  });
  const toolStrays = strayProcesses(`${cacheDir}/tools`, dir);
  if (toolStrays.length > 0) {
    problems.push(
      `monitoring processes still running: ${toolStrays.map((s) => `pid ${s.pid} ${s.cmdline}`).join("; ")}`,
    );
  }
  if (ownCluster && ownNats) {
    // Beyond the recorded pids: anything else run from our binaries against this state directory
    // (a kubectl or helm a test forgot, a component started outside the state file).
    const strays = strayProcesses(`${cacheDir}/bin`, dir);
    if (strays.length > 0) {
      problems.push(
        `harness processes still running: ${strays.map((s) => `pid ${s.pid} ${s.cmdline}`).join("; ")}`,
      );
    }
  }
  if (problems.length > 0) {
    const banner = "=".repeat(78);
    // The test runner prints nothing about teardown: say it ourselves, and fail the run's exit code.
    console.error(
      `\n${banner}\n✖ e2e global teardown FAILED: the harness left things behind\n` +
        `${problems.map((p) => `  - ${p}`).join("\n")}\n${banner}\n`,
    );
    process.exitCode = 1;
    return;
  }
  if (ownCluster || ownNats) console.error("e2e: teardown verified: no process, port or data left");
}
