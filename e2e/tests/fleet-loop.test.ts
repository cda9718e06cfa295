// Issue 9, the loop closed for real: the operator (planner mode, on the bus) sizes pools whose
// Running pods each get a simulated vLLM replica (e2e/sim-pods.ts); a real router on the bus
// serves load through them and reports demand. Load on one bin scales its Deployments up and the
// new replicas take traffic; without load they scale down after the window; a squeezed budget
// sets BudgetLimited and a lower max_level in KV that the router then uses; a killed and
// restarted operator resumes without flapping.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { defaultPolicyBucket, policyKey } from "../../proto/bus/naming.ts";
import { PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Router } from "../../proto/gen/mull/v1/router_pb.ts";
import { createClient } from "../../router/grpc/adapter.ts";
import { freePort, isListening } from "../cluster/ports.ts";
import { repoRoot } from "../cluster/state.ts";
import { cluster, type GpuPool, gpuPool, namespace, nats, waitFor } from "../fixture.ts";
import { simPods } from "../sim-pods.ts";
import {
  applyDoc,
  condition,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
} from "./operator-harness.ts";

function loopPolicy(pool: GpuPool, gpus: number): PolicyDoc {
  return policyDoc("loop", pool, (d) => {
    d.spec.scaling = { mode: "planner", targetUtilization: 0.5, stabilizationSeconds: 15 };
    // Tiny capacities: any real load on the sim asks for the pool's maximum.
    d.spec.proposer.capacityTokensPerSecond = 50;
    d.spec.verifier.capacityTokensPerSecond = 50;
    d.spec.budget = { defaultGenerations: 8, maxGenerations: 64, gpus };
    d.spec.bins[0].strategies = [
      { generations: 2, strategy: "bestOfN" },
      { generations: 8, strategy: "bestOfN" },
    ];
    for (const b of d.spec.bins) {
      b.proposer = { minReplicas: 1, maxReplicas: 3 };
      b.verifier = { minReplicas: 1, maxReplicas: 3 };
    }
  });
}

test("fleet loop: load scales a bin through real pods, sims and a router on the bus; the budget caps its level; an operator restart does not flap", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const c = await cluster();
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  const { url } = await nats();
  const opArgs = {
    namespace: ns,
    args: [`--nats=${url}`, "--planner-interval=1", "--demand-window=10"],
  };
  let operator = await startOperator(t, opArgs);
  await applyDoc(ns, loopPolicy(pool, 16));

  const sims = await simPods({
    kubeConfig: c.kubeConfig,
    namespace: ns,
    policy: "loop",
    natsUrl: url,
  });
  t.after(() => sims.stop());

  const port = await freePort();
  const router: ChildProcess = spawn(
    join(repoRoot, "node_modules/.bin/node"),
    [
      join(repoRoot, "bin/mull.ts"),
      "router",
      `--nats=${url}`,
      `--bucket=${sims.bucket}`,
      `--policies=${ns}/loop`,
      "--report-interval=1",
      "--host=127.0.0.1",
      `--port=${port}`,
      "--metrics-port=-1",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  t.after(() => {
    router.kill("SIGKILL");
  });
  await waitFor("the router to listen", async () => ((await isListening(port)) ? true : undefined));
  const client = createClient(Router, `127.0.0.1:${port}`);
  t.after(() => client.close());

  let loadOn = false;
  const levels: number[] = [];
  let n = 0;
  const worker = async () => {
    for (;;) {
      if (!loadOn) {
        await new Promise((r) => setTimeout(r, 200));
        if (stopped) return;
        continue;
      }
      n++;
      const r = await client
        .solve(
          { policy: `${ns}/loop`, prompt: `Problem ${n}: What is ${n} + ${n}?`, difficultyHint: 1 },
          { timeoutMs: 30_000 },
        )
        .catch(() => undefined);
      if (r) levels.push(r.budgetLevel);
      else await new Promise((res) => setTimeout(res, 200));
    }
  };
  let stopped = false;
  const workers = Array.from({ length: 4 }, () => worker());
  t.after(async () => {
    stopped = true;
    loadOn = false;
    await Promise.all(workers);
  });

  const replicas = async (name: string): Promise<number | undefined> =>
    (await getJson(["-n", ns, "get", "deploy", name]).catch(() => undefined))?.spec?.replicas;
  const bin1 = async () => [await replicas("loop-b1-proposer"), await replicas("loop-b1-verifier")];
  const tokens = async (s: {
    metrics: { generationTokens: { get(): Promise<{ values: Array<{ value: number }> }> } };
  }) => (await s.metrics.generationTokens.get()).values.reduce((a, v) => a + v.value, 0);

  await waitFor("the router to serve bin 1 through a sim", async () => {
    loadOn = true;
    return levels.length > 0 ? true : undefined;
  });

  // Up: the bin's Deployments, pods and sim replicas, and the new replicas take traffic.
  await waitFor("bin 1 scaled up to 3 + 3", async () =>
    (await bin1()).every((r) => r === 3) ? true : undefined,
  );
  await waitFor("3 proposer and 3 verifier sims for bin 1", async () =>
    sims.replicas(1, "proposer").length === 3 && sims.replicas(1, "verifier").length === 3
      ? true
      : undefined,
  );
  const before = await Promise.all(sims.replicas(1, "proposer").map(tokens));
  await waitFor("every bin 1 proposer replica to take traffic", async () => {
    const now = await Promise.all(sims.replicas(1, "proposer").map(tokens));
    return now.length === 3 && now.every((x, i) => x > (before[i] ?? 0)) ? true : undefined;
  });
  assert.equal(await replicas("loop-b2-proposer"), 1, "an idle bin stays at its minimum");

  // Down: no load; after the window the bin returns to its minimum, never going back up.
  loadOn = false;
  const seen: number[] = [];
  await waitFor(
    "bin 1 scaled down after the window",
    async () => {
      const r = await bin1();
      if (r[0] !== undefined) seen.push(r[0]);
      return r.every((x) => x === 1) ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  assert.ok(
    seen.every((r, i) => i === 0 || r <= (seen[i - 1] as number)),
    `flapped: ${seen}`,
  );
  await waitFor("the sims to follow the pods", async () =>
    sims.replicas(1, "proposer").length === 1 ? true : undefined,
  );

  // Squeeze: 7 GPUs cannot hold bin 1 at its level under load: the cap goes to KV, and the
  // router runs the cheaper level.
  loadOn = true;
  await waitFor("bin 1 up again", async () => ((await bin1())[0] === 3 ? true : undefined));
  await applyDoc(ns, loopPolicy(pool, 7));
  const limited = await waitFor("BudgetLimited", async () => {
    const c2 = condition(await getJson(["-n", ns, "get", "ttp", "loop"]), "BudgetLimited");
    return c2?.status === "True" && /b1 max_level 0/.test(c2.message) ? c2 : undefined;
  });
  assert.match(limited.reason, /LevelsLowered|OverBudget/);
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const kv = await new Kvm(nc).open(defaultPolicyBucket);
  const cap = async () => {
    const e = await kv.get(policyKey(ns, "loop"));
    return e && e.length > 0
      ? fromBinary(PolicySnapshotSchema, e.value).binTable[0]?.maxLevel
      : undefined;
  };
  await waitFor("max_level 0 in the KV snapshot", async () =>
    (await cap()) === 0 ? true : undefined,
  );
  const mark = levels.length;
  await waitFor("the router to run bin 1 at level 0", async () =>
    levels.slice(mark).filter((l) => l === 0).length >= 5 ? true : undefined,
  );

  // Restart: SIGKILL the operator under steady load; the new one must change nothing.
  const steady = await bin1();
  operator.child.kill("SIGKILL");
  await operator.exited;
  operator = await startOperator(t, opArgs);
  await waitFor("the new operator to lead and hear the routers", async () =>
    (await operator.metric("mull_operator_leader")) === 1 &&
    (await operator.metric("mull_operator_demand_requests_per_second", { bin: "1" })) > 0
      ? true
      : undefined,
  );
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await bin1(), steady, "replicas changed after the restart");
    assert.equal(await cap(), 0, "the cap was lifted after the restart");
  }
});
