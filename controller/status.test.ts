import assert from "node:assert/strict";
import { test } from "node:test";
import { findCondition } from "./conditions.ts";
import { desiredState } from "./desired/state.ts";
import { step } from "./planner/planner.ts";
import { decodeState, emptyState } from "./planner/state.ts";
import type { AlertsStatus, LastAlert } from "./policy/types.ts";
import { computeStatus, type ObservedPool } from "./status.ts";
import { examplePolicy, plannablePolicy } from "./testing/sample.ts";

const ready: ObservedPool = {
  exists: true,
  specReplicas: 1,
  readyReplicas: 1,
  rolledOut: true,
  gpuPendingPods: 0,
  unschedulablePods: 0,
};

test("all pools ready: Ready=True, within budget", () => {
  const policy = examplePolicy();
  const s = computeStatus({
    policy,
    pools: desiredState(policy).pools,
    observed: () => ready,
    now: new Date("2026-01-01T00:00:00Z"),
  });
  assert.equal(findCondition(s.conditions, "Ready")?.status, "True");
  assert.equal(findCondition(s.conditions, "BudgetLimited")?.status, "False");
  assert.equal(findCondition(s.conditions, "Progressing")?.status, "False");
  assert.deepEqual(s.gpus, { requested: 6, budget: 8, pending: 0 });
  assert.equal(s.bins?.length, 3);
  assert.deepEqual(s.bins?.[0]?.proposer, { desiredReplicas: 1, readyReplicas: 1, pendingPods: 0 });
  assert.equal(s.observedGeneration, 1);
});

test("pods Pending for lack of GPUs: BudgetLimited and Degraded say so with a count", () => {
  const policy = examplePolicy();
  const s = computeStatus({
    policy,
    pools: desiredState(policy).pools,
    observed: (bin) =>
      bin === 3
        ? {
            ...ready,
            readyReplicas: 0,
            gpuPendingPods: 1,
            unschedulablePods: 1,
            pendingMessage: "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
          }
        : ready,
    now: new Date(),
  });
  const limited = findCondition(s.conditions, "BudgetLimited");
  assert.equal(limited?.status, "True");
  assert.equal(limited?.reason, "InsufficientGPUs");
  assert.match(limited?.message ?? "", /2 pod\(s\) Pending/);
  const degraded = findCondition(s.conditions, "Degraded");
  assert.equal(degraded?.status, "True");
  assert.match(degraded?.message ?? "", /Insufficient nvidia.com\/gpu/);
  assert.equal(findCondition(s.conditions, "Ready")?.status, "False");
  assert.equal(s.gpus?.pending, 2);
});

test("requesting more GPUs than the budget is BudgetLimited/OverBudget", () => {
  const policy = examplePolicy((spec) => {
    spec.budget.gpus = 4;
  });
  const s = computeStatus({
    policy,
    pools: desiredState(policy).pools,
    observed: () => ready,
    now: new Date(),
  });
  assert.equal(findCondition(s.conditions, "BudgetLimited")?.reason, "OverBudget");
});

test("lastTransitionTime is kept while a condition's status holds, so the status is unchanged", () => {
  const policy = examplePolicy();
  const pools = desiredState(policy).pools;
  const first = computeStatus({
    policy,
    pools,
    observed: () => ready,
    now: new Date("2026-01-01T00:00:00Z"),
  });
  policy.status = first;
  const second = computeStatus({
    policy,
    pools,
    observed: () => ready,
    now: new Date("2026-01-02T00:00:00Z"),
  });
  assert.deepEqual(second, first);
  const notReady = computeStatus({
    policy,
    pools,
    observed: () => ({ ...ready, readyReplicas: 0 }),
    now: new Date("2026-01-03T00:00:00Z"),
  });
  assert.equal(
    findCondition(notReady.conditions, "Ready")?.lastTransitionTime,
    "2026-01-03T00:00:00Z",
  );
  assert.equal(
    findCondition(notReady.conditions, "BudgetLimited")?.lastTransitionTime,
    "2026-01-01T00:00:00Z",
  );
});

test("with a plan: demand, levels, tokens and reasons per bin and role; BudgetLimited names the levels", () => {
  const policy = plannablePolicy("planner", { gpus: 10, maxReplicas: 4 });
  const plan = step(emptyState(), {
    spec: policy.spec,
    demand: [
      {
        bin: 2,
        requestsPerSecond: 3.1449,
        proposerTokensPerRequest: 2000,
        verifierTokensPerRequest: 1999.6,
      },
    ],
    now: 0,
  });
  const s = computeStatus({
    policy,
    pools: desiredState(policy, { plan }).pools,
    observed: () => ready,
    plan,
    now: new Date(),
  });
  const b2 = s.bins?.find((b) => b.bin === 2);
  assert.equal(b2?.requestsPerSecond, 3.14);
  assert.equal(b2?.level, 0);
  assert.equal(b2?.maxLevel, 0);
  assert.equal(b2?.proposer.desiredReplicas, 3);
  assert.equal(b2?.proposer.tokensPerRequest, 500);
  assert.equal(b2?.verifier.tokensPerRequest, 500);
  assert.equal(b2?.proposer.reason, "scale_up");
  assert.equal(s.bins?.find((b) => b.bin === 1)?.requestsPerSecond, 0);
  const limited = findCondition(s.conditions, "BudgetLimited");
  assert.equal(limited?.status, "True");
  assert.equal(limited?.reason, "LevelsLowered");
  assert.match(
    limited?.message ?? "",
    /b1 max_level 1 of 2, b2 max_level 0 of 2, b3 max_level 0 of 1/,
  );
  assert.deepEqual(
    decodeState(s.planner).state,
    plan.state,
    "the planner's state is in the status",
  );
});

test("the alert webhook's status.alerts and status.lastAlert pass through a reconcile unchanged", () => {
  const policy = examplePolicy();
  const at = "2026-01-01T00:00:00.000Z";
  const common = {
    startsAt: at,
    source: "alertmanager",
    alertname: "A",
    appliedAt: at,
    lastSeenAt: at,
  } as const;
  const alerts: AlertsStatus = {
    overrides: [
      {
        ...common,
        key: `f1@${at}`,
        fingerprint: "f1",
        bin: 3,
        role: "proposer",
        action: "scale_up",
        step: 1,
      },
      { ...common, key: `f2@${at}`, fingerprint: "f2", bin: 2, action: "budget_down", step: -1 },
    ],
    steps: [{ bin: 3, role: "proposer", at }],
  };
  const lastAlert: LastAlert = {
    time: at,
    source: "alertmanager",
    alertname: "A",
    result: "applied",
    message: "bin 2 max level uncapped -> 0 (-1)",
  };
  policy.status = { alerts, lastAlert };
  const s = computeStatus({
    policy,
    pools: desiredState(policy).pools,
    observed: () => ready,
    now: new Date(at),
  });
  assert.deepEqual(s.alerts, alerts);
  assert.deepEqual(s.lastAlert, lastAlert);
  assert.equal(s.bins?.[2]?.proposer.desiredReplicas, 2, "the replica step is in desiredReplicas");
  assert.equal(s.bins?.[1]?.maxLevel, 0, "the level step is in the published maxLevel");
  const none = computeStatus({
    policy: examplePolicy(),
    pools: desiredState(examplePolicy()).pools,
    observed: () => ready,
    now: new Date(at),
  });
  assert.ok(!("alerts" in none) && !("lastAlert" in none));
});
