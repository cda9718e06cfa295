import assert from "node:assert/strict";
import { test } from "node:test";
import type { IncomingAlert } from "./payload.ts";
import { routeAlert } from "./route.ts";

const alert = (labels: Record<string, string>): IncomingAlert => ({
  status: "firing",
  labels: { alertname: "A", mull_policy: "math", mull_namespace: "ml", ...labels },
  annotations: {},
  startsAt: "2026-12-02T06:00:00Z",
  endsAt: "0001-01-01T00:00:00Z",
  fingerprint: "f1",
});

test("the mull_* labels name the policy, bin, role, action and step", () => {
  assert.deepEqual(
    routeAlert(
      alert({ mull_bin: "3", mull_role: "verifier", mull_action: "scale_down", mull_step: "2" }),
    ),
    {
      ok: true,
      target: {
        namespace: "ml",
        policy: "math",
        bin: 3,
        role: "verifier",
        action: "scale_down",
        step: 2,
      },
    },
  );
});

test("scale_* default to both roles and a step of 1; mull_bin=all stays all", () => {
  const r = routeAlert(alert({ mull_bin: "all", mull_action: "scale_up" }));
  assert.ok(r.ok);
  assert.equal(r.target.bin, "all");
  assert.equal(r.target.role, "both");
  assert.equal(r.target.step, 1);
});

test("budget_* ignore mull_role: a level belongs to the bin", () => {
  const r = routeAlert(alert({ mull_bin: "2", mull_action: "budget_down", mull_role: "proposer" }));
  assert.ok(r.ok);
  assert.equal(r.target.role, "both");
});

test("no mull_action, or Grafana's DatasourceNoData/DatasourceError: ignored", () => {
  assert.equal(routeAlert(alert({ mull_bin: "1" })).ok, false);
  const none = routeAlert(alert({ mull_bin: "1" }));
  assert.ok(!none.ok && none.result === "ignored");
  for (const alertname of ["DatasourceNoData", "DatasourceError"]) {
    const r = routeAlert(alert({ alertname, mull_bin: "all", mull_action: "scale_up" }));
    assert.ok(!r.ok && r.result === "ignored", alertname);
  }
});

test("bad labels are invalid, with the label and value in the message", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ mull_bin: "1", mull_action: "scale_sideways" }, /mull_action="scale_sideways"/],
    [{ mull_bin: "one", mull_action: "scale_up" }, /mull_bin="one"/],
    [{ mull_bin: "", mull_action: "scale_up" }, /mull_bin=""/],
    [{ mull_bin: "1", mull_action: "scale_up", mull_role: "router" }, /mull_role="router"/],
    [{ mull_bin: "1", mull_action: "scale_up", mull_step: "0" }, /mull_step="0"/],
    [{ mull_bin: "1", mull_action: "scale_up", mull_step: "-1" }, /mull_step="-1"/],
    [{ mull_bin: "1", mull_action: "scale_up", mull_step: "1.5" }, /mull_step="1.5"/],
    [{ mull_bin: "1", mull_action: "scale_up", mull_policy: "" }, /mull_policy and mull_namespace/],
  ];
  for (const [labels, message] of cases) {
    const r = routeAlert(alert(labels));
    assert.ok(!r.ok && r.result === "invalid", JSON.stringify(labels));
    assert.match(r.message, message);
  }
});

test("a fingerprint or startsAt longer than status.alerts holds is invalid", () => {
  const long = {
    ...alert({ mull_bin: "1", mull_action: "scale_up" }),
    fingerprint: "f".repeat(129),
  };
  const r = routeAlert(long);
  assert.ok(!r.ok && r.result === "invalid");
  assert.equal(r.message, "fingerprint is longer than 128 characters");
  const late = { ...alert({ mull_bin: "1", mull_action: "scale_up" }), startsAt: "x".repeat(65) };
  assert.equal(routeAlert(late).ok, false);
});
