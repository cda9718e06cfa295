// Issue 9: the operator in planner mode, fed demand over the real NATS bus, scales one bin's
// proposer and verifier Deployments up at once, holds them through the stabilisation window
// (also across an operator restart: the planner's state is in status), scales them down after
// it, and with a squeezed GPU budget lowers the bin's level (BudgetLimited, max_level in the
// router snapshot and the bus's KV bucket) instead of asking for GPUs it may not use.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { defaultPolicyBucket, policyKey } from "../../proto/bus/naming.ts";
import { PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { demandLevels, linearLoad, publishDemand } from "../demand-publisher.ts";
import { type GpuPool, gpuPool, kubectl, namespace, nats, waitFor } from "../fixture.ts";
import {
  applyDoc,
  condition,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

const stabilizationSeconds = 20;

function plannerPolicy(pool: GpuPool, gpus: number): PolicyDoc {
  return policyDoc("plan", pool, (d) => {
    d.spec.scaling = { mode: "planner", targetUtilization: 0.5, stabilizationSeconds };
    d.spec.proposer.capacityTokensPerSecond = 1000;
    d.spec.verifier.capacityTokensPerSecond = 1000;
    d.spec.budget.gpus = gpus;
    for (const b of d.spec.bins) {
      b.proposer = { minReplicas: 1, maxReplicas: 4 };
      b.verifier = { minReplicas: 1, maxReplicas: 4 };
    }
  });
}

const replicas = async (ns: string, name: string): Promise<number | undefined> =>
  (await getJson(["-n", ns, "get", "deploy", name])).spec.replicas;

const both = async (ns: string) => [
  await replicas(ns, "plan-b1-proposer"),
  await replicas(ns, "plan-b1-verifier"),
];

const bin1 = async (ns: string): Promise<PolicyDoc> =>
  (await getJson(["-n", ns, "get", "ttp", "plan"])).status?.bins?.find(
    (b: PolicyDoc) => b.bin === 1,
  );

test("operator planner: demand on the bus scales a bin up, down after the window, and under a squeezed budget lowers its level", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  const { url } = await nats();
  const operatorArgs = { namespace: ns, args: [`--nats=${url}`, "--planner-interval=1"] };
  let operator = await startOperator(t, operatorArgs);
  await applyDoc(ns, plannerPolicy(pool, 16));
  await waitReady(ns, "plan");
  assert.deepEqual(await both(ns), [1, 1], "no demand yet: minReplicas");

  const demand = await publishDemand({
    natsUrl: url,
    namespace: ns,
    policy: "plan",
    levels: demandLevels(plannerPolicy(pool, 16).spec),
  });
  t.after(() => demand.stop());

  // Up: 3 req/s × 500 tokens over 500 tok/s per replica = 3 proposers and 3 verifiers.
  demand.set(1, linearLoad(3));
  await waitFor("bin 1 scaled up to 3 + 3", async () =>
    (await both(ns)).every((r) => r === 3) ? true : undefined,
  );
  const up = await waitReady(ns, "plan");
  const b1 = up.status.bins.find((b: PolicyDoc) => b.bin === 1);
  assert.ok(b1.requestsPerSecond > 2 && b1.requestsPerSecond < 4, `${b1.requestsPerSecond} req/s`);
  assert.equal(b1.proposer.tokensPerRequest, 500);
  assert.equal(b1.level, 1);
  assert.equal(await replicas(ns, "plan-b2-proposer"), 1, "an idle bin stays at its minimum");
  const events = await getJson(["-n", ns, "get", "events", "--field-selector", "reason=Scaled"]);
  assert.ok(
    events.items.some((e: PolicyDoc) =>
      /b1 proposer \d→\d \(scale_up\), b1 verifier \d→\d \(scale_up\)/.test(e.message),
    ),
    "a Scaled Event names the decision for both roles",
  );
  assert.ok((await operator.metric("mull_operator_demand_requests_per_second", { bin: "1" })) > 0);

  // Down: demand stops; replicas hold through the window, also across an operator restart.
  // Every replica count seen from here on is recorded: no flapping means it only ever falls.
  const seen: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await replicas(ns, "plan-b1-proposer").catch(() => undefined);
      if (r !== undefined) seen.push(r);
      await new Promise((res) => setTimeout(res, 500));
    }
  })();
  demand.set(1, undefined);
  await waitFor("the scale-down to be pending", async () =>
    (await bin1(ns))?.proposer?.reason === "scale_down_delayed" ? true : undefined,
  );
  operator.child.kill("SIGKILL");
  await operator.exited;
  operator = await startOperator(t, operatorArgs);
  await waitFor("the new operator to lead and plan", async () =>
    (await operator.metric("mull_operator_leader")) === 1 &&
    (await operator.metric("mull_operator_bin_max_level", { bin: "1" })) === 1
      ? true
      : undefined,
  );
  assert.deepEqual(await both(ns), [3, 3], "the restarted operator kept the pending scale-down");
  await waitFor(
    "bin 1 scaled down after the window",
    async () => ((await both(ns)).every((r) => r === 1) ? true : undefined),
    { timeoutMs: 120_000 },
  );
  sampling = false;
  await sampler;
  const down = await getJson(["-n", ns, "get", "events", "--field-selector", "reason=Scaled"]);
  assert.ok(down.items.some((e: PolicyDoc) => /b1 proposer 3→\d \(scale_down\)/.test(e.message)));
  assert.ok(
    seen.every((r, i) => i === 0 || r <= (seen[i - 1] as number)),
    `no flapping: replicas only fell (${seen.join(",")})`,
  );
  assert.equal(seen[0], 3);

  // Squeeze: the same demand does not fit 8 GPUs at level 1 (6 + 4), so bin 1 runs at level 0.
  demand.set(1, linearLoad(3));
  await waitFor("bin 1 up again", async () =>
    (await both(ns)).every((r) => r === 3) ? true : undefined,
  );
  await applyDoc(ns, plannerPolicy(pool, 8));
  const limited = await waitFor("BudgetLimited", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "plan"]);
    const c = condition(p, "BudgetLimited");
    return c?.status === "True" && c.reason === "LevelsLowered" ? c : undefined;
  });
  assert.match(limited.message, /b1 max_level 0 of 2/);
  const cm = await kubectl([
    "-n",
    ns,
    "get",
    "cm",
    "plan-router",
    "-o",
    "jsonpath={.data.router\\.yaml}",
  ]);
  assert.match(cm.stdout, /maxLevel: 0/, "the router snapshot carries the cap");
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const kv = await new Kvm(nc).open(defaultPolicyBucket);
  const snapshot = await waitFor("the capped snapshot in the bus's KV bucket", async () => {
    const entry = await kv.get(policyKey(ns, "plan"));
    if (!entry || entry.length === 0) return undefined;
    const s = fromBinary(PolicySnapshotSchema, entry.value);
    return s.binTable[0]?.maxLevel === 0 ? s : undefined;
  });
  assert.equal(snapshot.binTable[0]?.bin, 1);
  await waitFor("bin 1 at level 0 needs 1 + 1", async () =>
    (await both(ns)).every((r) => r === 1) ? true : undefined,
  );
  await waitFor("the reports run at level 0", async () =>
    demand.level(1) === 0 ? true : undefined,
  );
  // Steady under the cap: reports at the cheaper level do not lift it back (costs are attributed
  // to the level they were spent at).
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await both(ns), [1, 1]);
    const p = await getJson(["-n", ns, "get", "ttp", "plan"]);
    assert.equal(condition(p, "BudgetLimited")?.status, "True");
  }
  assert.ok((await operator.metric("mull_policy_gpus", { kind: "requested" })) <= 8);
});
