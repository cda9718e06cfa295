// The Calibrated condition: whether `mull calibrate` wrote this policy's tables, and on what. A
// function of spec.calibration alone, so it changes only when a calibration is applied or removed.
import type { ConditionInput } from "./conditions.ts";
import type { TestTimePolicy } from "./policy/types.ts";

/** Enough of the hash to tell datasets apart in `kubectl get -o wide` and events. */
const shortHashLength = 12;

export function calibratedCondition(policy: TestTimePolicy): ConditionInput {
  const calibration = policy.spec.calibration;
  if (!calibration) {
    return {
      type: "Calibrated",
      status: "False",
      reason: "NotCalibrated",
      message: "no spec.calibration: thresholds and strategy tables are not from mull calibrate",
    };
  }
  const budgets = calibration.budgets?.length ? `, budgets ${calibration.budgets.join(",")}` : "";
  return {
    type: "Calibrated",
    status: "True",
    reason: "Calibrated",
    message:
      `calibrated on dataset sha256:${calibration.datasetSha256.slice(0, shortHashLength)} ` +
      `(${calibration.problems} problems${budgets}) at ${calibration.calibratedAt}`,
  };
}
