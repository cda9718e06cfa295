import assert from "node:assert/strict";
import { test } from "node:test";
import { step } from "../planner/planner.ts";
import { emptyState, encodeState } from "../planner/state.ts";
import type { TestTimePolicy } from "../policy/types.ts";
import { plannablePolicy } from "../testing/sample.ts";
import { desiredForPool, targetPerReplica } from "./desired.ts";
import type { PoolRef } from "./trigger.ts";

const pool = (bin: number, role: "proposer" | "verifier"): PoolRef => ({
  namespace: "ns1",
  policy: "math",
  bin,
  role,
});

/** An external-mode policy whose status holds the planner's state after one step of this demand. */
function planned(requestsPerSecond: number) {
  const policy: TestTimePolicy = plannablePolicy("external", { gpus: 100, maxReplicas: 8 });
  const out = step(emptyState(), {
    spec: policy.spec,
    demand: [
      { bin: 1, requestsPerSecond, proposerTokensPerRequest: 1400, verifierTokensPerRequest: 700 },
    ],
    now: 1_000,
  });
  policy.status = { planner: encodeState(out.state) } as TestTimePolicy["status"];
  return { policy, out };
}

// What the HPA KEDA makes computes for an AverageValue target.
const hpaReplicas = (value: number, target: number) => Math.ceil(value / target);

test("desiredForPool: KEDA's AverageValue rule gives exactly the planner's replicas", () => {
  for (const rps of [0, 0.4, 2, 3.3]) {
    const { policy, out } = planned(rps);
    for (const p of out.pools) {
      const a = desiredForPool(policy, pool(p.bin, p.role));
      assert.ok(a.ok, JSON.stringify(a));
      assert.equal(a.replicas, p.replicas, `b${p.bin} ${p.role} at ${rps} req/s`);
      assert.equal(hpaReplicas(a.metricValue, targetPerReplica), p.replicas);
      assert.equal(a.active, p.replicas > 0);
      assert.equal(a.metricName, `mull-ns1-math-b${p.bin}-${p.role}`);
    }
  }
  // The demand above sized bin 1 past its minimum, so the numbers come from the plan.
  const busy = desiredForPool(planned(2).policy, pool(1, "proposer"));
  assert.ok(busy.ok && busy.replicas === 4, JSON.stringify(busy));
});

test("desiredForPool: minReplicas before the first plan, bounds after a spec edit", () => {
  const fresh = plannablePolicy("external", { gpus: 100, maxReplicas: 8 }, (s) => {
    (s.bins[0] as (typeof s.bins)[number]).proposer.minReplicas = 2;
  });
  const a = desiredForPool(fresh, pool(1, "proposer"));
  assert.ok(a.ok && a.replicas === 2);

  const { policy } = planned(2);
  const proposer = (policy.spec.bins[0] as (typeof policy.spec.bins)[number]).proposer;
  proposer.maxReplicas = 3;
  const capped = desiredForPool(policy, pool(1, "proposer"));
  assert.ok(capped.ok && capped.replicas === 3, JSON.stringify(capped));
  proposer.minReplicas = 6;
  proposer.maxReplicas = undefined;
  const raised = desiredForPool(policy, pool(1, "proposer"));
  assert.ok(raised.ok && raised.replicas === 6, JSON.stringify(raised));
});

test("desiredForPool: an unknown policy or bin is NOT_FOUND, a policy not in external mode FAILED_PRECONDITION", () => {
  const missing = desiredForPool(undefined, pool(1, "proposer"));
  assert.deepEqual(missing, { ok: false, code: "NOT_FOUND", message: "policy ns1/math not found" });

  const noBin = desiredForPool(planned(1).policy, pool(7, "proposer"));
  assert.ok(!noBin.ok);
  assert.equal(noBin.code, "NOT_FOUND");
  assert.match(noBin.message, /has no bin 7 \(bins: 1, 2, 3\)/);

  for (const mode of ["planner", "manual"] as const) {
    const r = desiredForPool(
      plannablePolicy(mode, { gpus: 100, maxReplicas: 8 }),
      pool(1, "proposer"),
    );
    assert.ok(!r.ok);
    assert.equal(r.code, "FAILED_PRECONDITION");
    assert.match(r.message, new RegExp(`in ${mode} mode.*spec.scaling.mode to external`));
  }
});
