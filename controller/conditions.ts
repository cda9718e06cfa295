// metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status flips, so
// an unchanged world produces a byte-identical status (and the operator writes nothing).
import type { Condition } from "./policy/types.ts";

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number,
  now: Date,
): Condition[] {
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    const lastTransitionTime =
      before && before.status === c.status ? before.lastTransitionTime : rfc3339(now);
    return { ...c, observedGeneration: generation, lastTransitionTime };
  });
}

/** metav1.Time serialises to whole seconds; matching that keeps round trips stable. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
