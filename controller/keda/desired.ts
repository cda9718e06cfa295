// The planner's replicas for the pool a KEDA trigger names, and the metric that makes KEDA's HPA
// ask for exactly that many. KEDA's external metrics use the AverageValue target, so the HPA
// computes ceil(value / target): with a target of 1 per replica and a value of the planned
// replicas, that is the planner's count, exactly (integers survive KEDA's milli-quantities).
import { decodeState } from "../planner/state.ts";
import type { TestTimePolicy } from "../policy/types.ts";
import { metricName, type PoolRef, type ScalerFailure } from "./trigger.ts";

/** The AverageValue target per replica. */
export const targetPerReplica = 1;

export interface PoolAnswer {
  ok: true;
  metricName: string;
  /** The planner's desired replicas for the pool, within its bounds. */
  replicas: number;
  /** The metric value KEDA reads: replicas × target. */
  metricValue: number;
  /** KEDA's activity: the pool wants a replica (0 ↔ 1 is KEDA's, the rest the HPA's). */
  active: boolean;
}

/** Answers for a pool from the policy as cached (spec, and status.planner written by the leader). */
export function desiredForPool(
  policy: TestTimePolicy | undefined,
  pool: PoolRef,
): PoolAnswer | ScalerFailure {
  const key = `${pool.namespace}/${pool.policy}`;
  if (!policy) return { ok: false, code: "NOT_FOUND", message: `policy ${key} not found` };
  const mode = policy.spec.scaling.mode;
  if (mode !== "external") {
    return {
      ok: false,
      code: "FAILED_PRECONDITION",
      message: `policy ${key} is in ${mode} mode, where the operator sets replicas itself; set spec.scaling.mode to external to let KEDA own them`,
    };
  }
  const bin = policy.spec.bins.find((b) => b.bin === pool.bin);
  if (!bin) {
    const bins = policy.spec.bins.map((b) => b.bin).join(", ");
    return {
      ok: false,
      code: "NOT_FOUND",
      message: `policy ${key} has no bin ${pool.bin} (bins: ${bins})`,
    };
  }
  const bounds = bin[pool.role];
  // Before the planner's first step (or with a state it cannot read) it plans minReplicas too.
  const planned =
    decodeState(policy.status?.planner).state.bins[String(pool.bin)]?.replicas[pool.role] ??
    bounds.minReplicas;
  // The state may predate a spec edit of the bounds; the planner would clamp at its next step.
  const max = bounds.maxReplicas ?? bounds.minReplicas;
  const replicas = Math.min(max, Math.max(bounds.minReplicas, planned));
  return {
    ok: true,
    metricName: metricName(pool),
    replicas,
    metricValue: replicas * targetPerReplica,
    active: replicas > 0,
  };
}
