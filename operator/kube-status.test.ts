// The reconciler's status patch leaves the alert records to their writers (the webhook and the
// expiry pass): from a stale cache it would otherwise put back an override just removed, or
// drop one just recorded.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TestTimePolicyStatus } from "../controller/policy/types.ts";
import { reconcilerStatusPatch } from "./kube.ts";

test("the reconciler's status patch carries neither status.alerts nor status.lastAlert", () => {
  const status: TestTimePolicyStatus = {
    observedGeneration: 3,
    bins: [],
    alerts: { overrides: [], steps: [] },
    lastAlert: {
      time: "2026-12-02T07:00:00Z",
      source: "alertmanager",
      alertname: "QueueWait",
      result: "applied",
      message: "bin 3 proposer +1",
    },
  };
  const patch = reconcilerStatusPatch(status);
  assert.deepEqual(patch, { status: { observedGeneration: 3, bins: [] } });
  assert.ok(status.alerts, "the status passed in is left as it was");
});
