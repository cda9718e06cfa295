// Damping, per bin, on the demand the pools are sized for ("held" demand): it rises at once with
// the observed demand, and falls only after `stabilizationSeconds` of clearly lower demand, to the
// highest demand seen in that window plus a margin. Sizing and the budget both read the held
// demand, so replicas and levels stay put under noise instead of following every report.
// Replica growth per step is limited separately (limitScaleUp).

/**
 * Demand counts as lower only below held × (1 − this); on a drop the held demand keeps this much
 * margin over the window's peak. Without it a steady but noisy demand would scale down on a quiet
 * spell and back up on the next spike (what HPA's 10% tolerance prevents).
 */
export const downscaleTolerance = 0.1;

export interface HeldDemand {
  /** The requests per second the plan is sized for. */
  requestsPerSecond: number;
  /** When demand first went (and stayed) clearly lower, in seconds since the epoch. */
  lowerSince?: number;
  /** The highest demand seen since lowerSince. */
  lowerPeak?: number;
}

export type DampingReason = "rise" | "steady" | "lower_delayed" | "lowered" | "no_data";

export function dampDemand(
  held: HeldDemand | undefined,
  observed: number | undefined,
  now: number,
  stabilizationSeconds: number,
): { held: HeldDemand; reason: DampingReason } {
  const current = held ?? { requestsPerSecond: 0 };
  if (observed === undefined) return { held: current, reason: "no_data" };
  if (observed >= current.requestsPerSecond) {
    return {
      held: { requestsPerSecond: observed },
      reason: observed > current.requestsPerSecond ? "rise" : "steady",
    };
  }
  if (observed >= current.requestsPerSecond * (1 - downscaleTolerance)) {
    return { held: { requestsPerSecond: current.requestsPerSecond }, reason: "steady" };
  }
  const lowerSince = current.lowerSince ?? now;
  const lowerPeak = Math.max(current.lowerPeak ?? observed, observed);
  if (now - lowerSince < stabilizationSeconds) {
    return {
      held: { requestsPerSecond: current.requestsPerSecond, lowerSince, lowerPeak },
      reason: "lower_delayed",
    };
  }
  const next = Math.min(current.requestsPerSecond, lowerPeak * (1 + downscaleTolerance));
  // Observed may still be clearly below the new level: that starts the next window now.
  const again = observed < next * (1 - downscaleTolerance);
  return {
    held: { requestsPerSecond: next, ...(again ? { lowerSince: now, lowerPeak: observed } : {}) },
    reason: "lowered",
  };
}

/** Scale up at once, but by at most `step` replicas (undefined: no limit); scale down at once. */
export function limitScaleUp(
  previous: number,
  target: number,
  step: number | undefined,
): { replicas: number; limited: boolean } {
  if (step === undefined || target <= previous + step) return { replicas: target, limited: false };
  return { replicas: previous + step, limited: true };
}
