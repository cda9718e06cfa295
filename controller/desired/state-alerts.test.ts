import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment } from "@kubernetes/client-node";
import { applyAlerts } from "../alerts/apply.ts";
import { routeAlert } from "../alerts/route.ts";
import { type PlannerOutput, step } from "../planner/planner.ts";
import { emptyState, encodeState } from "../planner/state.ts";
import type { Role } from "../policy/names.ts";
import type { AlertOverride, TestTimePolicy } from "../policy/types.ts";
import { examplePolicy, plannablePolicy } from "../testing/sample.ts";
import { type DesiredInputs, desiredState } from "./state.ts";

const t0 = "2026-12-02T07:00:00.000Z";

function override(bin: number, role: Role | undefined, stepBy: number, n = 0): AlertOverride {
  const action = role
    ? stepBy > 0
      ? "scale_up"
      : "scale_down"
    : stepBy > 0
      ? "budget_up"
      : "budget_down";
  return {
    key: `f${bin}${role}${n}@${t0}`,
    fingerprint: `f${bin}${role}${n}`,
    startsAt: t0,
    source: "alertmanager",
    alertname: "A",
    bin,
    ...(role ? { role } : {}),
    action,
    step: stepBy,
    appliedAt: t0,
    lastSeenAt: t0,
  };
}

function withOverrides(p: TestTimePolicy, overrides: AlertOverride[]): TestTimePolicy {
  return { ...p, status: { ...p.status, alerts: { overrides, steps: [] } } };
}

function replicas(
  p: TestTimePolicy,
  inputs: DesiredInputs = {},
): Record<string, number | undefined> {
  return Object.fromEntries(
    desiredState(p, inputs)
      .objects.filter((o): o is V1Deployment => o.kind === "Deployment")
      .map((o) => [o.metadata?.name ?? "", o.spec?.replicas]),
  );
}

const levels = (p: TestTimePolicy, inputs: DesiredInputs = {}) =>
  desiredState(p, inputs).snapshot.binTable.map((b) => b.maxLevel);

test("manual mode: minReplicas plus the replica steps in force, within min/max", () => {
  const p = withOverrides(examplePolicy(), [
    override(3, "proposer", 1),
    override(1, "verifier", 1),
    override(1, "verifier", 1, 1),
    override(2, "proposer", -1),
  ]);
  const r = replicas(p);
  assert.equal(r["math-b3-proposer"], 2);
  assert.equal(r["math-b1-verifier"], 2, "two steps, clamped at maxReplicas 2");
  assert.equal(r["math-b2-proposer"], 1, "clamped at minReplicas 1");
  assert.equal(r["math-b3-verifier"], 1);
  assert.deepEqual(
    desiredState(p).pools.find((x) => x.bin === 3 && x.role === "proposer")?.replicas,
    2,
  );
});

test("planner mode: the steps go on top of the planner's replicas", () => {
  const p = withOverrides(plannablePolicy("planner", { gpus: 20, maxReplicas: 4 }), [
    override(2, "proposer", 1),
  ]);
  const plan = step(emptyState(), {
    spec: p.spec,
    demand: [
      {
        bin: 2,
        requestsPerSecond: 1,
        proposerTokensPerRequest: 1000,
        verifierTokensPerRequest: 1000,
      },
    ],
    now: 0,
  });
  const planned = plan.pools.find((x) => x.bin === 2 && x.role === "proposer")?.replicas ?? 0;
  assert.equal(replicas(p, { plan })["math-b2-proposer"], Math.min(4, planned + 1));
});

test("steps never take the fleet over budget.gpus; pools are served in bin then role order", () => {
  // 6 of 7 GPUs at minReplicas: one more replica fits.
  const p = withOverrides(
    examplePolicy((s) => {
      s.budget.gpus = 7;
      for (const b of s.bins) b.verifier.maxReplicas = 3;
    }),
    [override(3, "verifier", 2), override(1, "verifier", 1)],
  );
  const r = replicas(p);
  assert.equal(r["math-b1-verifier"], 2);
  assert.equal(r["math-b3-verifier"], 1);
  // scale_down steps free GPUs for scale_up ones.
  const freed = withOverrides(
    examplePolicy((s) => {
      s.budget.gpus = 6;
      for (const b of s.bins) b.proposer.maxReplicas = 3;
      for (const b of s.bins) b.verifier.minReplicas = 0;
    }),
    [override(3, "proposer", 1), override(1, "verifier", -1)],
  );
  assert.equal(replicas(freed)["math-b3-proposer"], 2);
  assert.equal(replicas(freed)["math-b1-verifier"], 0);
});

test("external mode and disabled alerts ignore the overrides", () => {
  const ext = withOverrides(
    examplePolicy((s) => {
      s.scaling.mode = "external";
    }),
    [override(3, "proposer", 1), override(2, undefined, -1)],
  );
  assert.ok(Object.values(replicas(ext)).every((r) => r === undefined));
  assert.deepEqual(levels(ext), [undefined, undefined, undefined]);
  const off = withOverrides(
    examplePolicy((s) => {
      s.scaling.alerts.enabled = false;
    }),
    [override(3, "proposer", 1)],
  );
  assert.equal(replicas(off)["math-b3-proposer"], 1);
});

test("level steps move the planner's cap, or the nominal level when uncapped, within the table", () => {
  // Nominal levels 1, 1, 0 (default 16 generations); tops 2, 2, 1.
  const p = withOverrides(examplePolicy(), [
    override(1, undefined, -1),
    override(2, undefined, 1),
    override(3, undefined, -2),
  ]);
  assert.deepEqual(levels(p), [0, undefined, 0], "uncapped and stepped up stays uncapped");
  const capped = withOverrides(
    examplePolicy((s) => {
      s.scaling.mode = "planner";
    }),
    [override(1, undefined, 1), override(2, undefined, 2)],
  );
  const cap = (bin: number) => (bin === 3 ? undefined : 0);
  assert.deepEqual(levels(capped, { maxLevel: cap }), [1, 2, undefined]);
});

test("the step an alert reports is the one the desired state then applies", () => {
  let p = examplePolicy((s) => {
    s.scaling.mode = "planner";
    s.budget.gpus = 9;
    for (const b of s.bins) b.proposer.maxReplicas = 4;
  });
  p.status = {
    planner: encodeState({
      version: 1,
      bins: {
        "2": { held: { requestsPerSecond: 1 }, replicas: { proposer: 2, verifier: 1 }, costs: {} },
      },
    }),
  };
  const plan: PlannerOutput = {
    state: emptyState(),
    pools: [
      {
        bin: 2,
        role: "proposer",
        replicas: 2,
        previous: 2,
        tokensPerRequest: undefined,
        costSource: "none",
        reason: "steady",
      },
    ],
    maxLevels: [],
    reasons: [],
    gpus: 7,
    budgetLimited: false,
  };
  const alert = {
    status: "firing" as const,
    labels: {
      alertname: "A",
      mull_policy: "math",
      mull_namespace: "ns1",
      mull_bin: "2",
      mull_role: "proposer",
      mull_action: "scale_up",
      mull_step: "2",
    },
    annotations: {},
    startsAt: t0,
    endsAt: "",
    fingerprint: "x",
  };
  const routed = routeAlert(alert);
  assert.ok(routed.ok);
  const out = applyAlerts({
    policy: p,
    source: "grafana",
    alerts: [{ alert, target: routed.target }],
    now: new Date(t0),
  });
  // 7 of 9 GPUs in use (bin 2's proposer runs 2): the step of 2 fits.
  assert.equal(out.outcomes[0]?.message, "bin 2 proposer 2 -> 4 (+2)");
  p = { ...p, status: { ...p.status, alerts: out.alerts } };
  const desired = replicas(p, { plan });
  assert.equal(desired["math-b2-proposer"], 4);
});
