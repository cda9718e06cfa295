import assert from "node:assert/strict";
import { test } from "node:test";
import { calibratedCondition } from "./calibrated.ts";
import { findCondition } from "./conditions.ts";
import { desiredState } from "./desired/state.ts";
import type { Calibration, TestTimePolicy } from "./policy/types.ts";
import { computeStatus, type ObservedPool } from "./status.ts";
import { examplePolicy } from "./testing/sample.ts";

const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const calibration: Calibration = {
  datasetSha256: hash,
  problems: 200,
  calibratedAt: "2026-12-02T01:00:00Z",
};

const ready: ObservedPool = {
  exists: true,
  specReplicas: 1,
  readyReplicas: 1,
  rolledOut: true,
  gpuPendingPods: 0,
  unschedulablePods: 0,
};

function statusAt(policy: TestTimePolicy, iso: string) {
  return computeStatus({
    policy,
    pools: desiredState(policy).pools,
    observed: () => ready,
    now: new Date(iso),
  });
}

const cases: {
  name: string;
  calibration?: Calibration;
  status: "True" | "False";
  reason: string;
  message: RegExp;
}[] = [
  {
    name: "no spec.calibration",
    status: "False",
    reason: "NotCalibrated",
    message: /no spec\.calibration/,
  },
  {
    name: "calibrated, no budgets",
    calibration,
    status: "True",
    reason: "Calibrated",
    message: /^calibrated on dataset sha256:9f86d081884c \(200 problems\) at 2026-12-02T01:00:00Z$/,
  },
  {
    name: "calibrated with budgets",
    calibration: { ...calibration, problems: 1, budgets: [4, 16, 64] },
    status: "True",
    reason: "Calibrated",
    message:
      /^calibrated on dataset sha256:9f86d081884c \(1 problems, budgets 4,16,64\) at 2026-12-02T01:00:00Z$/,
  },
];

for (const c of cases) {
  test(`Calibrated condition: ${c.name}`, () => {
    const policy = examplePolicy((s) => {
      if (c.calibration) s.calibration = c.calibration;
    });
    const condition = calibratedCondition(policy);
    assert.equal(condition.type, "Calibrated");
    assert.equal(condition.status, c.status);
    assert.equal(condition.reason, c.reason);
    assert.match(condition.message, c.message);
    assert.ok(!condition.message.includes(hash), "the message carries the short hash only");
    assert.deepEqual(
      findCondition(statusAt(policy, "2026-12-02T02:00:00Z").conditions, "Calibrated"),
      {
        ...condition,
        observedGeneration: 1,
        lastTransitionTime: "2026-12-02T02:00:00Z",
      },
    );
  });
}

test("Calibrated moves lastTransitionTime only when it flips; an unchanged policy gives the same status", () => {
  const policy = examplePolicy();
  policy.status = statusAt(policy, "2026-12-01T00:00:00Z");
  assert.deepEqual(
    statusAt(policy, "2026-12-01T01:00:00Z"),
    policy.status,
    "nothing changed: the operator has nothing to write",
  );

  policy.spec.calibration = calibration;
  policy.metadata.generation = 2;
  const calibrated = statusAt(policy, "2026-12-02T01:05:00Z");
  const flipped = findCondition(calibrated.conditions, "Calibrated");
  assert.equal(flipped?.status, "True");
  assert.equal(flipped?.lastTransitionTime, "2026-12-02T01:05:00Z");
  assert.equal(
    findCondition(calibrated.conditions, "Ready")?.lastTransitionTime,
    "2026-12-01T00:00:00Z",
    "the other conditions keep their transition times",
  );
  policy.status = calibrated;
  assert.deepEqual(
    statusAt(policy, "2026-12-02T03:00:00Z"),
    calibrated,
    "calibrated and unchanged",
  );

  policy.spec.calibration = { ...calibration, datasetSha256: "a".repeat(64), problems: 500 };
  policy.metadata.generation = 3;
  const recalibrated = findCondition(
    statusAt(policy, "2026-12-03T00:00:00Z").conditions,
    "Calibrated",
  );
  assert.match(recalibrated?.message ?? "", /sha256:aaaaaaaaaaaa \(500 problems\)/);
  assert.equal(
    recalibrated?.lastTransitionTime,
    "2026-12-02T01:05:00Z",
    "still True: no transition",
  );

  delete policy.spec.calibration;
  const removed = findCondition(statusAt(policy, "2026-12-04T00:00:00Z").conditions, "Calibrated");
  assert.equal(removed?.reason, "NotCalibrated");
  assert.equal(removed?.lastTransitionTime, "2026-12-04T00:00:00Z");
});
