// The API server accepts what the alert webhook's logic writes: spec.scaling.alerts defaults,
// a full status.alerts (64 overrides, the cooldown clocks) and status.lastAlert, and refuses a
// 65th override (the bound that keeps a flood from growing the status).
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { applyAlerts } from "../../controller/alerts/apply.ts";
import type { IncomingAlert } from "../../controller/alerts/payload.ts";
import { routeAlert } from "../../controller/alerts/route.ts";
import type { TestTimePolicy } from "../../controller/policy/types.ts";
import { kubectl, namespace } from "../fixture.ts";
import { applyDoc, getJson, installCrd, policyDoc } from "./operator-harness.ts";

function alert(n: number, labels: Record<string, string>): IncomingAlert {
  return {
    status: "firing",
    labels: { alertname: `A${n}`, mull_policy: "alerted", mull_namespace: "x", ...labels },
    annotations: {},
    startsAt: "2026-12-02T07:00:00.123456789Z",
    endsAt: "0001-01-01T00:00:00Z",
    fingerprint: `${n.toString(16).padStart(16, "0")}`,
  };
}

test("the API server defaults spec.scaling.alerts and stores a full status.alerts and lastAlert", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  await applyDoc(ns, policyDoc("alerted", undefined));
  let policy = await getJson<TestTimePolicy>(["-n", ns, "get", "ttp", "alerted"]);
  assert.deepEqual(policy.spec.scaling.alerts, {
    enabled: true,
    maxStep: 2,
    cooldownSeconds: 300,
    ttlSeconds: 900,
  });
  policy.spec.scaling.alerts.cooldownSeconds = 0;

  // A flood: scale_up and scale_down in turn on one pool, each its own alert, up to the bound.
  const now = new Date("2026-12-02T07:01:00Z");
  for (let n = 0; n < 65; n++) {
    const action = n % 2 === 0 ? "scale_up" : "scale_down";
    const a = alert(n, { mull_bin: "1", mull_role: "proposer", mull_action: action });
    const r = routeAlert(a);
    assert.ok(r.ok);
    const out = applyAlerts({
      policy,
      source: "alertmanager",
      alerts: [{ alert: a, target: r.target }],
      now,
    });
    policy = { ...policy, status: { ...policy.status, alerts: out.alerts } };
    if (out.lastAlert) policy.status = { ...policy.status, lastAlert: out.lastAlert };
  }
  assert.equal(policy.status?.alerts?.overrides?.length, 64);
  assert.equal(policy.status?.lastAlert?.result, "clamped");
  const patch = (status: unknown) =>
    kubectl(
      ["-n", ns, "patch", "ttp", "alerted", "--subresource=status", "--type=merge"].concat([
        "-p",
        JSON.stringify({ status }),
      ]),
      { check: false },
    );
  const written = await patch(policy.status);
  assert.equal(written.code, 0, written.stderr);
  const back = await getJson<TestTimePolicy>(["-n", ns, "get", "ttp", "alerted"]);
  assert.deepEqual(back.status?.alerts, policy.status?.alerts);
  assert.deepEqual(back.status?.lastAlert, policy.status?.lastAlert);

  const overrides = policy.status?.alerts?.overrides ?? [];
  const flood = await patch({
    alerts: { overrides: [...overrides, { ...overrides[0], key: "another" }] },
  });
  assert.notEqual(flood.code, 0, "a 65th override must be refused");
  assert.match(flood.stderr, /overrides: Too many: 65: must have at most 64 items/);
});

test("the API server refuses alert knobs out of range, with the rule's message", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const refuse = async (alerts: Record<string, unknown>, message: RegExp) => {
    const r = await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
      input: stringify(
        policyDoc("knobs", undefined, (d) => {
          d.spec.scaling = { alerts };
        }),
      ),
      check: false,
    });
    assert.notEqual(r.code, 0, JSON.stringify(alerts));
    assert.match(r.stderr, message);
  };
  await refuse({ maxStep: 0 }, /maxStep.*greater than or equal to 1/);
  await refuse({ ttlSeconds: 300 }, /ttlSeconds must exceed cooldownSeconds/);
  await refuse({ cooldownSeconds: -1 }, /cooldownSeconds.*greater than or equal to 0/);
});
