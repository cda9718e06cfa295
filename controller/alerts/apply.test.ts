import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeState, plannerStateVersion } from "../planner/state.ts";
import type { TestTimePolicy, TestTimePolicySpec } from "../policy/types.ts";
import { examplePolicy } from "../testing/sample.ts";
import { type ApplyInput, alertEffect, applyAlerts, expireAlerts } from "./apply.ts";
import type { IncomingAlert } from "./payload.ts";
import { type AlertTarget, routeAlert } from "./route.ts";

// The example policy: bins 1-3, every pool 1 replica (min 1, max 2), 1 GPU per replica, budget 8
// (6 in use); levels per bin 3, 3, 2 with the default budget on level 1, 1, 0.
const t0 = new Date("2026-12-02T07:00:00Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function policy(edit: (s: TestTimePolicySpec) => void = () => {}): TestTimePolicy {
  return examplePolicy(edit);
}

let serial = 0;
function firing(labels: Record<string, string>, fingerprint = `fp${++serial}`): IncomingAlert {
  return {
    status: "firing",
    labels: { alertname: "QueueWait", mull_policy: "math", mull_namespace: "ns1", ...labels },
    annotations: {},
    startsAt: "2026-12-02T06:59:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    fingerprint,
  };
}

const resolved = (a: IncomingAlert): IncomingAlert => ({ ...a, status: "resolved" });

function routed(a: IncomingAlert): { alert: IncomingAlert; target: AlertTarget } {
  const r = routeAlert(a);
  assert.ok(r.ok, r.ok ? "" : r.message);
  return { alert: a, target: r.target };
}

/** Applies the alerts and returns the policy with the new status.alerts, as the operator writes it. */
function send(p: TestTimePolicy, alerts: IncomingAlert[], now = t0) {
  const input: ApplyInput = { policy: p, source: "alertmanager", alerts: alerts.map(routed), now };
  const out = applyAlerts(input);
  const next: TestTimePolicy = {
    ...p,
    status: {
      ...p.status,
      alerts: out.alerts,
      ...(out.lastAlert ? { lastAlert: out.lastAlert } : {}),
    },
  };
  return { ...out, policy: next, results: out.outcomes.map((o) => o.result) };
}

const up3 = () => firing({ mull_bin: "3", mull_role: "proposer", mull_action: "scale_up" });

test("a firing scale_up moves the pool by its step and records the override, keyed by fingerprint@startsAt", () => {
  const a = up3();
  const r = send(policy(), [a]);
  assert.deepEqual(r.results, ["applied"]);
  assert.equal(r.changed, true);
  assert.equal(r.outcomes[0]?.message, "bin 3 proposer 1 -> 2 (+1)");
  assert.deepEqual(r.alerts.overrides, [
    {
      key: `${a.fingerprint}@2026-12-02T06:59:00Z`,
      fingerprint: a.fingerprint,
      startsAt: "2026-12-02T06:59:00Z",
      source: "alertmanager",
      alertname: "QueueWait",
      bin: 3,
      role: "proposer",
      action: "scale_up",
      step: 1,
      appliedAt: t0.toISOString(),
      lastSeenAt: t0.toISOString(),
    },
  ]);
  assert.equal(alertEffect(r.policy).replicaDelta(3, "proposer"), 1);
  assert.equal(alertEffect(r.policy).replicaDelta(3, "verifier"), 0);
  assert.deepEqual(r.lastAlert, {
    time: t0.toISOString(),
    source: "alertmanager",
    alertname: "QueueWait",
    action: "scale_up",
    bin: 3,
    role: "proposer",
    result: "applied",
    message: "bin 3 proposer 1 -> 2 (+1)",
  });
});

test("re-delivery of the same alert changes nothing but its lastSeenAt", () => {
  const a = up3();
  const first = send(policy(), [a]);
  const again = send(first.policy, [a], at(60));
  assert.deepEqual(again.results, ["duplicate"]);
  assert.equal(again.alerts.overrides?.length, 1);
  assert.equal(again.alerts.overrides?.[0]?.step, 1);
  assert.equal(again.alerts.overrides?.[0]?.appliedAt, t0.toISOString());
  assert.equal(again.alerts.overrides?.[0]?.lastSeenAt, at(60).toISOString());
  assert.equal(alertEffect(again.policy).replicaDelta(3, "proposer"), 1);
  // The same alert twice in one body is one step too.
  const twice = send(policy(), [a, a]);
  assert.deepEqual(twice.results, ["applied", "duplicate"]);
  assert.equal(alertEffect(twice.policy).replicaDelta(3, "proposer"), 1);
});

test("another step on the same pool waits for cooldownSeconds; other pools do not", () => {
  const p = policy((s) => {
    for (const b of s.bins) b.proposer.maxReplicas = 5;
  });
  const first = send(p, [up3()]);
  const early = send(first.policy, [up3()], at(299));
  assert.deepEqual(early.results, ["cooldown"]);
  assert.match(early.outcomes[0]?.message ?? "", /cooldown until 2026-12-02T07:05:00.000Z/);
  assert.equal(early.changed, false);
  const other = send(
    first.policy,
    [firing({ mull_bin: "2", mull_role: "proposer", mull_action: "scale_up" })],
    at(10),
  );
  assert.deepEqual(other.results, ["applied"]);
  const later = send(first.policy, [up3()], at(300));
  assert.deepEqual(later.results, ["applied"]);
  assert.equal(later.outcomes[0]?.message, "bin 3 proposer 2 -> 3 (+1)");
  assert.equal(alertEffect(later.policy).replicaDelta(3, "proposer"), 2);
});

test("mull_step is clamped to maxStep", () => {
  const p = policy((s) => {
    for (const b of s.bins) b.proposer.maxReplicas = 10;
    s.budget.gpus = 100;
  });
  const r = send(p, [
    firing({ mull_bin: "1", mull_role: "proposer", mull_action: "scale_up", mull_step: "5" }),
  ]);
  assert.deepEqual(r.results, ["clamped"]);
  assert.equal(r.alerts.overrides?.[0]?.step, 2);
  assert.match(r.outcomes[0]?.message ?? "", /step 5 clamped to maxStep 2/);
});

test("scale_up stops at maxReplicas, scale_down at minReplicas: nothing is recorded when nothing moves", () => {
  const p = policy();
  const big = send(p, [
    firing({ mull_bin: "1", mull_role: "proposer", mull_action: "scale_up", mull_step: "2" }),
  ]);
  assert.deepEqual(big.results, ["clamped"]);
  assert.equal(big.alerts.overrides?.[0]?.step, 1);
  assert.match(big.outcomes[0]?.message ?? "", /1 -> 2 \(\+1, maxReplicas 2\)/);
  const down = send(p, [
    firing({ mull_bin: "1", mull_role: "proposer", mull_action: "scale_down" }),
  ]);
  assert.deepEqual(down.results, ["clamped"]);
  assert.equal(down.outcomes[0]?.message, "bin 1 proposer stays 1 (minReplicas 1)");
  assert.deepEqual(down.alerts.overrides, []);
  assert.equal(down.changed, false);
});

test("scale_up never takes the fleet over budget.gpus", () => {
  // 6 of 8 GPUs in use: room for 2 more replicas, whichever pools ask first.
  const p = policy((s) => {
    for (const b of s.bins) {
      b.proposer.maxReplicas = 10;
      b.verifier.maxReplicas = 10;
    }
  });
  const r = send(p, [firing({ mull_bin: "all", mull_action: "scale_up", mull_step: "2" })]);
  assert.deepEqual(r.results, ["clamped"]);
  assert.deepEqual(
    r.alerts.overrides?.map((o) => [o.bin, o.role, o.step]),
    [[1, "proposer", 2]],
  );
  assert.match(r.outcomes[0]?.message ?? "", /bin 1 verifier stays 1 \(budget.gpus 8\)/);
  // A pool of 0-GPU replicas does not count against the budget.
  const cpu = policy((s) => {
    s.verifier.gpus = 0;
    s.budget.gpus = 3;
    for (const b of s.bins) b.verifier.maxReplicas = 4;
  });
  const v = send(cpu, [
    firing({ mull_bin: "2", mull_role: "verifier", mull_action: "scale_up", mull_step: "2" }),
  ]);
  assert.deepEqual(v.results, ["applied"]);
});

test("mull_bin=all and mull_role=both expand to every pool", () => {
  const p = policy((s) => {
    for (const b of s.bins) {
      b.proposer.maxReplicas = 3;
      b.verifier.maxReplicas = 3;
    }
    s.budget.gpus = 100;
  });
  const a = firing({ mull_bin: "all", mull_action: "scale_up" });
  const r = send(p, [a]);
  assert.deepEqual(r.results, ["applied"]);
  assert.equal(r.alerts.overrides?.length, 6);
  for (const bin of [1, 2, 3]) {
    assert.equal(alertEffect(r.policy).replicaDelta(bin, "proposer"), 1);
    assert.equal(alertEffect(r.policy).replicaDelta(bin, "verifier"), 1);
  }
  const gone = send(r.policy, [resolved(a)]);
  assert.deepEqual(gone.results, ["resolved"]);
  assert.deepEqual(gone.alerts.overrides, []);
});

test("a resolved alert removes its override; one with none in force changes nothing", () => {
  const a = up3();
  const first = send(policy(), [a]);
  const r = send(first.policy, [resolved(a)], at(30));
  assert.deepEqual(r.results, ["resolved"]);
  assert.equal(r.outcomes[0]?.message, "removed bin 3 proposer +1");
  assert.deepEqual(r.alerts.overrides, []);
  assert.equal(alertEffect(r.policy).replicaDelta(3, "proposer"), 0);
  const again = send(r.policy, [resolved(a)], at(40));
  assert.deepEqual(again.results, ["resolved"]);
  assert.equal(again.outcomes[0]?.message, "no override in force");
  assert.equal(again.changed, false);
});

test("budget_down lowers the bin's level from the nominal one, down to level 0", () => {
  const p = policy((s) => {
    s.scaling.alerts.cooldownSeconds = 0;
  });
  const r = send(p, [firing({ mull_bin: "2", mull_action: "budget_down" })]);
  assert.deepEqual(r.results, ["applied"]);
  assert.equal(r.outcomes[0]?.message, "bin 2 max level uncapped -> 0 (-1)");
  assert.equal(alertEffect(r.policy).levelDelta(2), -1);
  assert.equal(r.alerts.overrides?.[0]?.role, undefined);
  assert.equal(r.lastAlert?.role, undefined);
  const floor = send(r.policy, [firing({ mull_bin: "2", mull_action: "budget_down" })], at(1));
  assert.deepEqual(floor.results, ["clamped"]);
  assert.equal(floor.outcomes[0]?.message, "bin 2 max level stays 0 (level 0)");
});

test("budget_up lifts a planner cap up to the top level; with no cap there is nothing to lift", () => {
  const planner = () =>
    policy((s) => {
      s.scaling.mode = "planner";
    });
  const p = planner();
  p.status = {
    planner: encodeState({
      version: plannerStateVersion,
      bins: {
        "1": {
          held: { requestsPerSecond: 1 },
          replicas: { proposer: 1, verifier: 1 },
          costs: {},
          maxLevel: 0,
        },
      },
    }),
  };
  const r = send(p, [firing({ mull_bin: "1", mull_action: "budget_up", mull_step: "3" })]);
  assert.deepEqual(r.results, ["clamped"]);
  assert.equal(r.outcomes[0]?.message, "step 3 clamped to maxStep 2; bin 1 max level 0 -> 2 (+2)");
  const top = send(r.policy, [firing({ mull_bin: "1", mull_action: "budget_up" })], at(600));
  assert.deepEqual(top.results, ["clamped"]);
  assert.equal(top.outcomes[0]?.message, "bin 1 max level stays 2 (top level 2)");
  const uncapped = send(planner(), [firing({ mull_bin: "2", mull_action: "budget_up" })]);
  assert.deepEqual(uncapped.results, ["clamped"]);
  assert.equal(uncapped.outcomes[0]?.message, "bin 2 max level stays uncapped (no cap in force)");
});

test("in planner mode a step counts from the planner's last replicas, not minReplicas", () => {
  const p = policy((s) => {
    s.scaling.mode = "planner";
    for (const b of s.bins) b.proposer.maxReplicas = 4;
    s.budget.gpus = 20;
  });
  p.status = {
    planner: encodeState({
      version: plannerStateVersion,
      bins: {
        "3": { held: { requestsPerSecond: 5 }, replicas: { proposer: 3, verifier: 1 }, costs: {} },
      },
    }),
  };
  const r = send(p, [up3()]);
  assert.equal(r.outcomes[0]?.message, "bin 3 proposer 3 -> 4 (+1)");
});

test("an alert on a bin the policy does not have is unknown_bin", () => {
  const r = send(policy(), [firing({ mull_bin: "7", mull_action: "scale_up" })]);
  assert.deepEqual(r.results, ["unknown_bin"]);
  assert.equal(r.outcomes[0]?.message, "bin 7 is not one of 1, 2, 3");
  assert.equal(r.changed, false);
  assert.equal(r.lastAlert?.bin, 7);
  // status.lastAlert.bin is bounded by the schema: a wild bin stays in the message only.
  const wild = send(policy(), [firing({ mull_bin: "999", mull_action: "scale_up" })]);
  assert.deepEqual(wild.results, ["unknown_bin"]);
  assert.equal(wild.lastAlert?.bin, undefined);
});

test("external mode refuses every alert, disabled alerts answer disabled, and neither touches status.alerts", () => {
  const ext = send(
    policy((s) => {
      s.scaling.mode = "external";
    }),
    [up3()],
  );
  assert.deepEqual(ext.results, ["refused_external"]);
  assert.equal(ext.changed, false);
  assert.equal(ext.lastAlert?.result, "refused_external");
  const off = send(
    policy((s) => {
      s.scaling.alerts.enabled = false;
    }),
    [up3()],
  );
  assert.deepEqual(off.results, ["disabled"]);
  assert.equal(off.changed, false);
});

test("an override not re-sent within ttlSeconds expires; a re-delivery extends it", () => {
  const a = up3();
  const first = send(policy(), [a]);
  assert.equal(expireAlerts(first.policy, at(100)).changed, false);
  const kept = expireAlerts(first.policy, at(899));
  assert.deepEqual(kept.expired, []);
  assert.equal(kept.alerts.overrides?.length, 1);
  // Only the spent cooldown clock went.
  assert.deepEqual(kept.alerts.steps, []);
  assert.equal(kept.nextExpiry?.toISOString(), at(900).toISOString());
  const gone = expireAlerts(first.policy, at(900));
  assert.deepEqual(gone.alerts.overrides, []);
  assert.equal(gone.changed, true);
  assert.equal(gone.nextExpiry, undefined);
  assert.deepEqual(gone.expired, [
    {
      fingerprint: a.fingerprint,
      alertname: "QueueWait",
      result: "expired",
      message: "not re-sent for 900s: removed bin 3 proposer +1",
    },
  ]);
  const resent = send(first.policy, [a], at(800));
  assert.deepEqual(expireAlerts(resent.policy, at(900)).expired, []);
  assert.equal(
    expireAlerts(resent.policy, at(900)).nextExpiry?.toISOString(),
    at(1700).toISOString(),
  );
});

test("overrides stop counting and are dropped when alerts are disabled or the mode turns external", () => {
  const first = send(policy(), [up3()]);
  const disabled: TestTimePolicy = {
    ...first.policy,
    spec: {
      ...first.policy.spec,
      scaling: {
        ...first.policy.spec.scaling,
        alerts: { ...first.policy.spec.scaling.alerts, enabled: false },
      },
    },
  };
  assert.equal(alertEffect(disabled).replicaDelta(3, "proposer"), 0);
  const dropped = expireAlerts(disabled, at(1));
  assert.deepEqual(dropped.alerts.overrides, []);
  assert.equal(dropped.expired[0]?.result, "disabled");
});

test("status.alerts stays bounded: past maxAlertOverrides an alert moves nothing", () => {
  let p = policy((s) => {
    s.scaling.alerts.cooldownSeconds = 0;
  });
  for (let i = 0; i < 64; i++) {
    const action = i % 2 === 0 ? "scale_up" : "scale_down";
    p = send(
      p,
      [firing({ mull_bin: "1", mull_role: "proposer", mull_action: action })],
      at(i),
    ).policy;
  }
  assert.equal(p.status?.alerts?.overrides?.length, 64);
  const r = send(
    p,
    [firing({ mull_bin: "1", mull_role: "proposer", mull_action: "scale_up" })],
    at(100),
  );
  assert.deepEqual(r.results, ["clamped"]);
  assert.match(r.outcomes[0]?.message ?? "", /64 overrides already in force/);
  assert.equal(r.alerts.overrides?.length, 64);
});
