import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseAlertPayload } from "./payload.ts";

const recorded = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}.json`, import.meta.url), "utf8"));

test("an Alertmanager v4 body parses, ignoring the keys newer versions add", () => {
  const body = recorded("alertmanager-firing") as Record<string, unknown>;
  assert.ok("notification_reason" in body && "routeLabels" in body);
  const p = parseAlertPayload("alertmanager", body);
  assert.ok(p.ok, p.ok ? "" : p.error);
  assert.equal(p.alerts.length, 2);
  const [a] = p.alerts;
  assert.deepEqual(a, {
    status: "firing",
    labels: {
      alertname: "MullQueueWaitHigh",
      bin: "3",
      mull_action: "scale_up",
      mull_bin: "3",
      mull_namespace: "ml",
      mull_policy: "math",
      mull_role: "proposer",
      namespace: "ml",
      severity: "warning",
    },
    annotations: {
      description: "p95 queue wait of bin 3 is 4.2s (threshold 2s) for 2m.",
      summary: "Mull bin 3 requests wait for a replica",
    },
    startsAt: "2026-12-02T06:41:17.398Z",
    endsAt: "0001-01-01T00:00:00Z",
    fingerprint: "5b1b6e3a2f9c7d04",
  });
});

test("a resolved Alertmanager alert keeps its fingerprint and startsAt, the idempotency key", () => {
  const firing = parseAlertPayload("alertmanager", recorded("alertmanager-firing"));
  const resolved = parseAlertPayload("alertmanager", recorded("alertmanager-resolved"));
  assert.ok(firing.ok && resolved.ok);
  const [f] = firing.alerts;
  const [r] = resolved.alerts;
  assert.equal(r?.status, "resolved");
  assert.equal(r?.fingerprint, f?.fingerprint);
  assert.equal(r?.startsAt, f?.startsAt);
  assert.equal(r?.endsAt, "2026-12-02T06:58:47.398Z");
});

test("a Grafana v1 body parses; values, valueString, URLs and orgId are ignored", () => {
  const p = parseAlertPayload("grafana", recorded("grafana-firing"));
  assert.ok(p.ok, p.ok ? "" : p.error);
  const [a] = p.alerts;
  assert.equal(a?.status, "firing");
  assert.equal(a?.labels.grafana_folder, "Mull");
  assert.equal(a?.labels.mull_action, "budget_down");
  assert.equal(a?.fingerprint, "8e2a0c6f1d3b5a79");
  assert.ok(!("values" in (a ?? {})));
  const resolved = parseAlertPayload("grafana", recorded("grafana-resolved"));
  assert.ok(resolved.ok);
  assert.equal(resolved.alerts[0]?.status, "resolved");
  assert.equal(resolved.alerts[0]?.startsAt, a?.startsAt);
});

test("Grafana's synthetic DatasourceNoData alert parses (with values null); routing ignores it", () => {
  const p = parseAlertPayload("grafana", recorded("grafana-nodata"));
  assert.ok(p.ok, p.ok ? "" : p.error);
  assert.equal(p.alerts[0]?.labels.alertname, "DatasourceNoData");
});

test("each sender's version is required: the other sender's, or none, is refused with the reason", () => {
  const am = parseAlertPayload("grafana", recorded("alertmanager-firing"));
  assert.deepEqual(am, { ok: false, error: 'grafana webhook: version "4", want version "1"' });
  const gf = parseAlertPayload("alertmanager", recorded("grafana-firing"));
  assert.equal(gf.ok, false);
  const none = parseAlertPayload("alertmanager", { alerts: [] });
  assert.deepEqual(none, {
    ok: false,
    error: 'alertmanager webhook: no version, want version "4"',
  });
});

test("not an object, alerts not an array, or a malformed alert: an error naming it", () => {
  for (const body of [null, [], "x", 4]) {
    assert.deepEqual(parseAlertPayload("alertmanager", body), {
      ok: false,
      error: "the payload is not a JSON object",
    });
  }
  assert.deepEqual(parseAlertPayload("alertmanager", { version: "4", alerts: {} }), {
    ok: false,
    error: "alerts is not an array",
  });
  const bad = (alert: unknown) =>
    parseAlertPayload("alertmanager", { version: "4", alerts: [alert] });
  assert.deepEqual(bad(7), { ok: false, error: "alerts[0] is not an object" });
  assert.deepEqual(bad({ status: "pending", startsAt: "t" }), {
    ok: false,
    error: 'alerts[0].status must be "firing" or "resolved", not "pending"',
  });
  assert.deepEqual(bad({ status: "firing", startsAt: "t", labels: { a: 1 } }), {
    ok: false,
    error: "alerts[0].labels.a is not a string",
  });
  assert.deepEqual(bad({ status: "firing", labels: {} }), {
    ok: false,
    error: "alerts[0].startsAt is missing",
  });
});

test("an alert without a fingerprint gets one from its labels, whatever their order", () => {
  const parse = (labels: Record<string, string>) => {
    const p = parseAlertPayload("alertmanager", {
      version: "4",
      alerts: [{ status: "firing", labels, startsAt: "2026-12-02T06:00:00Z" }],
    });
    assert.ok(p.ok);
    return p.alerts[0]?.fingerprint;
  };
  const a = parse({ alertname: "X", mull_bin: "1" });
  assert.match(a ?? "", /^[0-9a-f]{16}$/);
  assert.equal(parse({ mull_bin: "1", alertname: "X" }), a);
  assert.notEqual(parse({ alertname: "X", mull_bin: "2" }), a);
});
