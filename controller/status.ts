// Status from observed state: per-pool replicas, GPUs against the budget, and the five
// conditions. Pure: the operator feeds it what its informers hold and writes the result only when
// it differs from the status already on the policy.
import { alertEffect, overriddenMaxLevel } from "./alerts/effect.ts";
import { calibratedCondition } from "./calibrated.ts";
import { type ConditionInput, mergeConditions } from "./conditions.ts";
import type { DesiredPool } from "./desired/state.ts";
import type { PlannerOutput } from "./planner/planner.ts";
import { encodeState } from "./planner/state.ts";
import type {
  BinStatus,
  PoolStatus,
  TestTimePolicy,
  TestTimePolicyStatus,
} from "./policy/types.ts";

export interface ObservedPool {
  /** The Deployment exists. */
  exists: boolean;
  /** Its spec.replicas (in external mode, what the autoscaler chose). */
  specReplicas?: number;
  readyReplicas: number;
  /** The Deployment controller has seen its latest spec and rolled every replica to it. */
  rolledOut: boolean;
  /** Pods the scheduler could not place for lack of nvidia.com/gpu. */
  gpuPendingPods: number;
  /** Pods unschedulable for any reason (including GPUs). */
  unschedulablePods: number;
  /** One scheduler message, for the condition text. */
  pendingMessage?: string;
}

export interface StatusInput {
  policy: TestTimePolicy;
  pools: DesiredPool[];
  observed: (bin: number, role: DesiredPool["role"]) => ObservedPool;
  /** The last reconcile's error, if it failed. */
  reconcileError?: string;
  /** The planner's step for this reconcile (planner and external modes). */
  plan?: PlannerOutput;
  now: Date;
}

/** Status figures are rounded so that noise in demand does not rewrite the status each step. */
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** "b1 level 0 of 2, b3 level 1 of 1": the caps in force, for BudgetLimited's message. */
export function levelsMessage(plan: PlannerOutput, policy: TestTimePolicy): string {
  return plan.maxLevels
    .map((l) => {
      const top = (policy.spec.bins.find((b) => b.bin === l.bin)?.strategies.length ?? 1) - 1;
      return `b${l.bin} max_level ${l.maxLevel ?? top} of ${top}`;
    })
    .join(", ");
}

/** The cap routers get: the planner's (none in manual mode) moved by budget_* alerts in force. */
function publishedMaxLevel(
  policy: TestTimePolicy,
  bin: number,
  cap: number | undefined,
): number | undefined {
  const b = policy.spec.bins.find((x) => x.bin === bin);
  const planned = policy.spec.scaling.mode === "manual" ? undefined : cap;
  return b ? overriddenMaxLevel(policy, b, planned, alertEffect(policy).levelDelta(bin)) : planned;
}

export function computeStatus(input: StatusInput): TestTimePolicyStatus {
  const { policy, pools } = input;
  const generation = policy.metadata.generation ?? 0;
  const bins = new Map<number, BinStatus>();
  let requested = 0;
  let pendingGpus = 0;
  let gpuPendingPods = 0;
  let unschedulable = 0;
  let poolsReady = 0;
  let progressing = 0;
  let pendingMessage: string | undefined;

  for (const pool of pools) {
    const seen = input.observed(pool.bin, pool.role);
    const desired = pool.replicas ?? seen.specReplicas ?? 0;
    const planned = input.plan?.pools.find((p) => p.bin === pool.bin && p.role === pool.role);
    const status: PoolStatus = {
      desiredReplicas: desired,
      readyReplicas: seen.readyReplicas,
      pendingPods: seen.unschedulablePods,
      ...(planned?.tokensPerRequest === undefined
        ? {}
        : { tokensPerRequest: round(planned.tokensPerRequest, 0) }),
      ...(planned ? { reason: planned.reason } : {}),
    };
    const level = input.plan?.maxLevels.find((l) => l.bin === pool.bin);
    const maxLevel = publishedMaxLevel(policy, pool.bin, level?.maxLevel);
    const entry = bins.get(pool.bin) ?? {
      bin: pool.bin,
      proposer: { desiredReplicas: 0, readyReplicas: 0 },
      verifier: { desiredReplicas: 0, readyReplicas: 0 },
      ...(level?.requestsPerSecond === undefined
        ? {}
        : { requestsPerSecond: round(level.requestsPerSecond, 2) }),
      ...(level ? { level: level.level } : {}),
      ...(maxLevel === undefined ? {} : { maxLevel }),
    };
    entry[pool.role] = status;
    bins.set(pool.bin, entry);

    requested += desired * pool.gpusPerReplica;
    pendingGpus += seen.gpuPendingPods * pool.gpusPerReplica;
    gpuPendingPods += seen.gpuPendingPods;
    unschedulable += seen.unschedulablePods;
    pendingMessage ??= seen.pendingMessage;
    const ready = seen.exists && seen.rolledOut && seen.readyReplicas >= desired;
    if (ready) poolsReady++;
    else progressing++;
  }

  const budget = policy.spec.budget.gpus;
  const conditions: ConditionInput[] = [];
  const total = pools.length;
  conditions.push(
    poolsReady === total
      ? {
          type: "Ready",
          status: "True",
          reason: "PoolsReady",
          message: `${total}/${total} pools ready`,
        }
      : {
          type: "Ready",
          status: "False",
          reason: gpuPendingPods > 0 ? "InsufficientGPUs" : "PoolsNotReady",
          message: `${poolsReady}/${total} pools ready`,
        },
  );
  conditions.push(
    progressing > 0 && unschedulable === 0
      ? {
          type: "Progressing",
          status: "True",
          reason: "RollingOut",
          message: `${progressing} pool(s) scaling or rolling out`,
        }
      : {
          type: "Progressing",
          status: "False",
          reason: progressing > 0 ? "Stalled" : "Stable",
          message:
            progressing > 0
              ? "pools wait for pods that cannot be scheduled"
              : "all pools at their desired state",
        },
  );
  if (input.reconcileError) {
    conditions.push({
      type: "Degraded",
      status: "True",
      reason: "ReconcileFailed",
      message: input.reconcileError.slice(0, 1024),
    });
  } else if (unschedulable > 0) {
    conditions.push({
      type: "Degraded",
      status: "True",
      reason: gpuPendingPods > 0 ? "InsufficientGPUs" : "Unschedulable",
      message: `${unschedulable} pod(s) Pending: ${(pendingMessage ?? "unschedulable").slice(0, 512)}`,
    });
  } else {
    conditions.push({
      type: "Degraded",
      status: "False",
      reason: "AsExpected",
      message: "no failures",
    });
  }
  const plan = input.plan;
  if (plan?.budgetLimited) {
    const exceeded = plan.maxLevels.some((l) => l.reason === "budget_exceeded");
    conditions.push({
      type: "BudgetLimited",
      status: "True",
      reason: exceeded ? "OverBudget" : "LevelsLowered",
      message: exceeded
        ? `even the cheapest levels need more than ${budget} GPUs; replicas cut to fit (${levelsMessage(plan, policy)})`
        : `levels lowered to fit ${budget} GPUs: ${levelsMessage(plan, policy)}; pools request ${requested}`,
    });
  } else if (requested > budget) {
    conditions.push({
      type: "BudgetLimited",
      status: "True",
      reason: "OverBudget",
      message: `pools request ${requested} GPUs, budget is ${budget}`,
    });
  } else if (gpuPendingPods > 0) {
    conditions.push({
      type: "BudgetLimited",
      status: "True",
      reason: "InsufficientGPUs",
      message: `${gpuPendingPods} pod(s) Pending for lack of nvidia.com/gpu (${pendingGpus} GPUs unplaced)`,
    });
  } else {
    conditions.push({
      type: "BudgetLimited",
      status: "False",
      reason: "WithinBudget",
      message: `pools request ${requested} of ${budget} GPUs`,
    });
  }

  conditions.push(calibratedCondition(policy));

  return {
    observedGeneration: generation,
    conditions: mergeConditions(policy.status?.conditions, conditions, generation, input.now),
    bins: [...bins.values()].sort((a, b) => a.bin - b.bin),
    gpus: { requested, budget, pending: pendingGpus },
    ...(plan ? { planner: encodeState(plan.state) } : {}),
    // The alert webhook's records (controller/alerts), carried as they are: a reconcile must never
    // drop an override in force.
    ...(policy.status?.alerts ? { alerts: policy.status.alerts } : {}),
    ...(policy.status?.lastAlert ? { lastAlert: policy.status.lastAlert } : {}),
  };
}
