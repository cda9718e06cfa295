// The harness's own promise: cluster:up twice gives one cluster, and cluster:down / nats:down leave
// no process, no listening port and no data behind. This runs a second, private cluster in a
// temporary state directory through the real npm-script entry points, so the shared cluster of
// the run is untouched. (The global teardown checks the shared one the same way at the very end.)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { cacheDir } from "../bins.ts";
import { describeLeftovers, leftovers } from "../cluster/cluster.ts";
import { strayProcesses } from "../cluster/processes.ts";
import { readState } from "../cluster/state.ts";
import { natsLeftovers } from "../nats/nats.ts";

const run = promisify(execFile);
const script = (rel: string) => fileURLToPath(new URL(`../${rel}`, import.meta.url));

test("cluster:up reuses a running cluster, and down leaves nothing behind", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mull-e2e-harness-"));
  const env = { ...process.env, MULL_E2E_STATE_DIR: dir, MULL_E2E_GPU_NODES: "1" };
  const npm = (rel: string) => run(process.execPath, [script(rel)], { env });
  t.after(async () => {
    // Best effort if an assertion failed midway; the assertions below are the real check.
    await npm("nats/down.ts").catch(() => {});
    await npm("cluster/down.ts").catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  const first = await npm("cluster/up.ts");
  assert.equal(first.stdout.trim(), `export KUBECONFIG=${join(dir, "kubeconfig")}`);
  const cluster = readState(dir, "cluster");
  assert.ok(cluster?.ready, "cluster state recorded as ready");
  assert.deepEqual(
    cluster.processes.map((p) => p.name),
    ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"],
  );
  for (const p of cluster.processes) assert.ok(existsSync(p.log), `${p.name} logs to ${p.log}`);

  const second = await npm("cluster/up.ts");
  assert.match(second.stderr, /already running/);
  assert.deepEqual(
    readState(dir, "cluster")?.processes.map((p) => p.pid),
    cluster.processes.map((p) => p.pid),
    "the second cluster:up reused the same processes",
  );

  await npm("nats/up.ts");
  const nats = readState(dir, "nats");
  assert.ok(nats?.ready);
  const status = await npm("cluster/status.ts");
  assert.match(status.stdout, /cluster: up/);
  assert.match(status.stdout, /nats: up/);

  await npm("nats/down.ts");
  await npm("cluster/down.ts");

  assert.equal(describeLeftovers(await leftovers(cluster)), undefined);
  assert.equal(await natsLeftovers(nats), undefined);
  assert.deepEqual(strayProcesses(`${cacheDir}/bin`, dir), []);
  assert.equal(readState(dir, "cluster"), undefined, "state file removed");
  assert.equal(existsSync(join(dir, "kubeconfig")), false, "kubeconfig removed");

  const idle = await npm("cluster/status.ts");
  assert.match(idle.stdout, /cluster: not running/);
});
