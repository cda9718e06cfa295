// `mull demo --fleet` end to end with short phases, on the control plane and nats-server the e2e
// setup provides: it must reuse them (and leave them up), show the replicas per bin and role, the
// levels and GPUs against the budget, exit 0, and leave none of its own processes or its namespace.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { cluster, kubectl, nats } from "../fixture.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("demo --fleet: replicas per bin and role, levels, GPUs against the budget; exits 0, leaves nothing", async (t) => {
  const c = await cluster();
  const { url } = await nats();
  const child = spawn(
    process.execPath,
    ["bin/mull.ts", "demo", "--fleet", "--phase-seconds", "6", "--seed", "3"],
    { cwd: root, env: { ...process.env, KUBECONFIG: c.kubeconfig } },
  );
  // Bounded: a hung demo fails the test instead of the run.
  const guard = setTimeout(() => child.kill("SIGTERM"), 240_000);
  t.after(() => clearTimeout(guard));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);

  // One frame per phase and a last one, each with the budget and a row per bin.
  const frames = stdout.split("\n\n").filter((f) => f.startsWith("mull demo --fleet"));
  assert.ok(frames.length >= 5, stdout);
  for (let phase = 1; phase <= 4; phase++) assert.match(stdout, new RegExp(`phase ${phase}/4`));
  for (const frame of frames) {
    const gpus = /GPUs (\d+) requested of 8 /.exec(frame);
    assert.ok(gpus && Number(gpus[1]) <= 8, frame);
  }
  const last = frames.at(-1) ?? "";
  assert.match(last, /GPUs \d+ requested of 8 /, last);
  assert.match(last, /proposer desired\/ready\s+verifier desired\/ready\s+level \(max\)/);
  for (const bin of [1, 2, 3]) {
    const row = new RegExp(
      `^${bin}\\s+\\d+\\.\\d\\d/s\\s+(\\d+)/(\\d+)\\s+(\\d+)/(\\d+)\\s+\\S+ \\(`,
      "m",
    );
    const m = row.exec(last);
    assert.ok(m, `no row for bin ${bin} in\n${last}`);
    // Every pool keeps its minimum of one replica, and the planner stays within 2 per pool.
    for (const desired of [m[1], m[3]]) {
      assert.ok(Number(desired) >= 1 && Number(desired) <= 2, m[0]);
    }
  }
  const requested = Number(/GPUs (\d+) requested/.exec(last)?.[1]);
  assert.ok(requested >= 1 && requested <= 8, last);
  assert.match(stdout, /accuracy: this phase/);

  // Reused, not started: both are still up after the demo exits.
  assert.match(stderr, /started mull operator \(pid \d+\)/);
  assert.match(stderr, /started mull router \(pid \d+\)/);
  assert.doesNotMatch(stderr, /building the control plane/);
  assert.equal((await kubectl(["get", "--raw", "/readyz"])).stdout.trim(), "ok");
  const nc = await connect({ servers: url });
  await nc.close();

  // Nothing of its own is left: its operator and router have exited, its namespace is going.
  for (const [, pid] of stderr.matchAll(/started mull \w+ \(pid (\d+)\)/g)) {
    assert.equal(alive(Number(pid)), false, `pid ${pid} still running`);
  }
  const ns = /namespace (mull-demo-fleet-\S+)/.exec(stderr)?.[1];
  assert.ok(ns, stderr);
  const got = await kubectl(["get", "namespace", ns, "-o", "jsonpath={.status.phase}"], {
    check: false,
  });
  assert.ok(got.code !== 0 || got.stdout === "Terminating", `namespace ${ns}: ${got.stdout}`);
});
