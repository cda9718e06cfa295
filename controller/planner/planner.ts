// One planner step (Dynamo's on_tick): demand per bin in, replicas per pool and a budget level cap
// per bin out, every decision with a reason, plus the next state. Pure, zero I/O: the operator
// feeds it the routers' demand and the policy spec on a timer and on demand changes, and applies
// what it returns.
import { type Role, roles } from "../policy/names.ts";
import type { BinSpec, TestTimePolicySpec } from "../policy/types.ts";
import { chooseLevels, type LevelOption, levelAccuracies, shrinkToBudget } from "./budget.ts";
import { type CostSource, levelCost } from "./costs.ts";
import { type DampingReason, dampDemand, limitScaleUp } from "./damping.ts";
import type { BinDemand } from "./demand.ts";
import { type SizingReason, sizePool } from "./sizing.ts";
import type { BinState, PlannerState } from "./state.ts";

export interface PlannerInput {
  spec: TestTimePolicySpec;
  /** Demand per bin; undefined when no demand is known at all (the plan then holds). */
  demand: readonly BinDemand[] | undefined;
  /** Seconds since the epoch. */
  now: number;
}

export type PoolReason =
  | "scale_up"
  | "scale_up_limited"
  | "scale_down"
  | "scale_down_delayed"
  | "budget_capped"
  | "steady"
  | "at_max"
  | "no_cost"
  | "no_capacity";

export interface PoolPlan {
  bin: number;
  role: Role;
  replicas: number;
  previous: number;
  tokensPerRequest: number | undefined;
  costSource: CostSource;
  reason: PoolReason;
}

export type LevelReason = "uncapped" | "budget_capped" | "budget_exceeded";

export interface LevelPlan {
  bin: number;
  /** The level requests get: the nominal level, or the cap when it is lower. */
  level: number;
  /** The cap published to routers; undefined: none. */
  maxLevel: number | undefined;
  /** Observed demand (undefined: unknown) and the demand the pools are sized for. */
  requestsPerSecond: number | undefined;
  heldRequestsPerSecond: number;
  demandReason: DampingReason;
  reason: LevelReason;
}

export interface Decision {
  bin: number;
  role?: Role;
  reason: PoolReason | LevelReason;
  from: number | undefined;
  to: number | undefined;
}

export interface PlannerOutput {
  state: PlannerState;
  pools: PoolPlan[];
  maxLevels: LevelPlan[];
  /** What changed in this step, with why: one aggregated Event's worth. */
  reasons: Decision[];
  gpus: number;
  budgetLimited: boolean;
}

function sortedLevels(b: BinSpec) {
  return [...b.strategies].sort((x, y) => x.generations - y.generations);
}

/** The level a request with the default budget gets: the highest one it affords. */
export function nominalLevel(b: BinSpec, defaultGenerations: number): number {
  const levels = sortedLevels(b);
  let level = 0;
  levels.forEach((l, i) => {
    if (l.generations <= defaultGenerations) level = i;
  });
  return level;
}

interface Sized {
  replicas: Record<Role, number>;
  reasons: Record<Role, SizingReason>;
  cost: Record<Role, { tokensPerRequest: number | undefined; source: CostSource }>;
  gpus: number;
}

export function step(state: PlannerState, input: PlannerInput): PlannerOutput {
  const { spec, now } = input;
  const window = spec.scaling.stabilizationSeconds;
  const observedBy = new Map(input.demand?.map((d) => [d.bin, d]) ?? []);
  const bins = [...spec.bins].sort((a, b) => a.bin - b.bin);
  const gpusPerReplica = (role: Role) => spec[role].gpus;

  const nextBins: Record<string, BinState> = {};
  const perBin = bins.map((b) => {
    const before = state.bins[String(b.bin)];
    const d = observedBy.get(b.bin);
    const observed = input.demand === undefined ? undefined : (d?.requestsPerSecond ?? 0);
    const damped = dampDemand(before?.held, observed, now, window);
    const levels = sortedLevels(b);
    const nominal = nominalLevel(b, spec.budget.defaultGenerations);
    // Where the measured costs were spent: the routers' arrivals per level when they say, else
    // the level requests got at the last step.
    const byLevel = d?.requestsPerSecondByLevel?.slice(0, levels.length);
    const reference = byLevel?.some((x) => x > 0)
      ? byLevel
      : Math.min(nominal, before?.maxLevel ?? nominal);
    const costs: Partial<Record<Role, number>> = { ...before?.costs };
    const measured = {
      proposer: d?.proposerTokensPerRequest,
      verifier: d?.verifierTokensPerRequest,
    };
    for (const role of roles) {
      const m = measured[role];
      if (m !== undefined && Number.isFinite(m) && m > 0 && (d?.requestsPerSecond ?? 0) > 0) {
        costs[role] = m;
      }
    }
    const waiting = (d?.waitingForReplica ?? 0) > 0;
    const sizeAt = (level: number, rps: number): Sized => {
      const out = { replicas: {}, reasons: {}, cost: {}, gpus: 0 } as Sized;
      for (const role of roles) {
        const cost = levelCost(levels, level, role, reference, costs[role]);
        const sized = sizePool({
          requestsPerSecond: rps,
          tokensPerRequest: cost.tokensPerRequest,
          capacityTokensPerSecond: spec[role].capacityTokensPerSecond,
          targetUtilization: spec.scaling.targetUtilization,
          bounds: b[role],
        });
        // A bin with any demand (or requests waiting for a replica) never sizes to zero, even
        // before its costs are known: those requests must be served.
        const floor = rps > 0 || waiting ? Math.min(1, b[role].maxReplicas ?? 1) : 0;
        out.replicas[role] = Math.max(sized.replicas, floor);
        out.reasons[role] = sized.reason;
        out.cost[role] = cost;
        out.gpus += (out.replicas[role] as number) * gpusPerReplica(role);
      }
      return out;
    };
    const held = damped.held.requestsPerSecond;
    // Levels above the nominal one cost what it costs: default-budget requests never reach them.
    const options = levels.slice(0, nominal + 1).map((_, level) => sizeAt(level, held));
    const accuracy = levelAccuracies(levels);
    return { b, before, observed, damped, nominal, options, accuracy, costs, sizeAt };
  });

  const nominalGpus = perBin.reduce((n, x) => n + (x.options[x.nominal] as Sized).gpus, 0);
  const budget = spec.budget.gpus;
  let chosen = perBin.map((x) => x.nominal);
  let budgetLimited = false;
  let fits = true;
  if (nominalGpus > budget) {
    budgetLimited = true;
    const options: LevelOption[][] = perBin.map((x) =>
      x.options.map((o, level) => ({
        level,
        gpus: o.gpus,
        value: x.damped.held.requestsPerSecond * (x.accuracy[level] as number),
      })),
    );
    const result = chooseLevels(options, budget);
    chosen = result.choice;
    fits = result.fits;
  }

  const targets = perBin.flatMap((x, i) => {
    const level = chosen[i] as number;
    return roles.map((role) => ({ x, role, level, sized: x.options[level] as Sized }));
  });
  let replicas = targets.map((t) => t.sized.replicas[t.role]);
  if (!fits) {
    replicas = shrinkToBudget(
      targets.map((t, i) => ({
        replicas: replicas[i] as number,
        minReplicas: t.x.b[t.role].minReplicas,
        gpusPerReplica: gpusPerReplica(t.role),
      })),
      budget,
    );
  }

  const pools: PoolPlan[] = [];
  const reasons: Decision[] = [];
  let gpus = 0;
  targets.forEach((t, i) => {
    const { x, role, level, sized } = t;
    const bounds = x.b[role];
    const previous = x.before?.replicas[role] ?? bounds.minReplicas;
    const target = replicas[i] as number;
    const stepped = limitScaleUp(previous, target, spec.scaling.maxScaleUpStep);
    const shrunk = target < sized.replicas[role];
    let reason: PoolReason;
    if (shrunk) reason = "budget_capped";
    else if (stepped.replicas > previous)
      reason = stepped.limited ? "scale_up_limited" : "scale_up";
    else if (stepped.replicas < previous) reason = "scale_down";
    else if (
      x.damped.reason === "lower_delayed" &&
      x.observed !== undefined &&
      x.sizeAt(level, x.observed).replicas[role] < stepped.replicas
    )
      reason = "scale_down_delayed";
    else if (sized.reasons[role] === "no_cost" || sized.reasons[role] === "no_capacity")
      reason = sized.reasons[role];
    else if (sized.reasons[role] === "clamped_max") reason = "at_max";
    else reason = "steady";
    pools.push({
      bin: x.b.bin,
      role,
      replicas: stepped.replicas,
      previous,
      tokensPerRequest: sized.cost[role].tokensPerRequest,
      costSource: sized.cost[role].source,
      reason,
    });
    if (stepped.replicas !== previous) {
      reasons.push({ bin: x.b.bin, role, reason, from: previous, to: stepped.replicas });
    }
    gpus += stepped.replicas * gpusPerReplica(role);
  });

  const maxLevels: LevelPlan[] = perBin.map((x, i) => {
    const level = chosen[i] as number;
    const maxLevel = budgetLimited ? level : undefined;
    const reason: LevelReason = !budgetLimited
      ? "uncapped"
      : fits
        ? "budget_capped"
        : "budget_exceeded";
    if (maxLevel !== x.before?.maxLevel) {
      reasons.push({ bin: x.b.bin, reason, from: x.before?.maxLevel, to: maxLevel });
    }
    const poolReplicas: Partial<Record<Role, number>> = {};
    for (const p of pools) if (p.bin === x.b.bin) poolReplicas[p.role] = p.replicas;
    nextBins[String(x.b.bin)] = {
      held: x.damped.held,
      replicas: poolReplicas,
      costs: x.costs,
      ...(maxLevel === undefined ? {} : { maxLevel }),
    };
    return {
      bin: x.b.bin,
      level,
      maxLevel,
      requestsPerSecond: x.observed,
      heldRequestsPerSecond: x.damped.held.requestsPerSecond,
      demandReason: x.damped.reason,
      reason,
    };
  });

  return {
    state: { version: state.version, bins: nextBins },
    pools,
    maxLevels,
    reasons,
    gpus,
    budgetLimited,
  };
}
