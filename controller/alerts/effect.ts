// What the alert overrides in status.alerts do to a policy's pools and levels. One function for
// both sides: apply.ts measures an alert's room with it, and the desired state (desired/state.ts)
// writes replicas and the routers' max level with it, so the two never disagree.
import { nominalLevel } from "../planner/planner.ts";
import { type Role, roles } from "../policy/names.ts";
import type { BinSpec, TestTimePolicy } from "../policy/types.ts";

export interface AlertEffect {
  /** The signed sum of the replica steps in force on a pool. */
  replicaDelta(bin: number, role: Role): number;
  /** The signed sum of the level steps in force on a bin. */
  levelDelta(bin: number): number;
}

const none: AlertEffect = { replicaDelta: () => 0, levelDelta: () => 0 };

/** Alerts count only when enabled, and never in external mode (the autoscaler owns replicas). */
export function alertsActive(policy: TestTimePolicy): boolean {
  return policy.spec.scaling.alerts.enabled && policy.spec.scaling.mode !== "external";
}

export function alertEffect(policy: TestTimePolicy): AlertEffect {
  const overrides = policy.status?.alerts?.overrides ?? [];
  if (!alertsActive(policy) || overrides.length === 0) return none;
  const replicas = new Map<string, number>();
  const levels = new Map<number, number>();
  for (const o of overrides) {
    if (o.role) {
      const k = poolKey(o.bin, o.role);
      replicas.set(k, (replicas.get(k) ?? 0) + o.step);
    } else {
      levels.set(o.bin, (levels.get(o.bin) ?? 0) + o.step);
    }
  }
  return {
    replicaDelta: (bin, role) => replicas.get(poolKey(bin, role)) ?? 0,
    levelDelta: (bin) => levels.get(bin) ?? 0,
  };
}

export const poolKey = (bin: number, role: Role) => `${bin}/${role}`;

export function poolBounds(b: BinSpec, role: Role): { min: number; max: number } {
  const min = b[role].minReplicas;
  return { min, max: Math.max(min, b[role].maxReplicas ?? min) };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Every pool's replicas: `base` (the planner's, or minReplicas) plus the alert steps in force,
 * within the pool's min/max. The GPUs the steps add come out of what `spec.budget.gpus` leaves
 * after every other pool, handed out in bin then role order; steps never push the fleet over its
 * budget (the planner's own figures may already be over it; the steps then add nothing).
 */
export function overriddenReplicas(
  policy: TestTimePolicy,
  base: (bin: number, role: Role) => number,
  effect: AlertEffect = alertEffect(policy),
): Map<string, number> {
  const { spec } = policy;
  const out = new Map<string, number>();
  const pending: Array<{ key: string; extra: number; gpus: number }> = [];
  let used = 0;
  for (const b of [...spec.bins].sort((x, y) => x.bin - y.bin)) {
    for (const role of roles) {
      const key = poolKey(b.bin, role);
      const from = base(b.bin, role);
      const delta = effect.replicaDelta(b.bin, role);
      const { min, max } = poolBounds(b, role);
      const to = delta === 0 ? from : clamp(from + delta, min, max);
      const gpus = spec[role].gpus;
      if (to > from) {
        pending.push({ key, extra: to - from, gpus });
        out.set(key, from);
        used += from * gpus;
      } else {
        out.set(key, to);
        used += to * gpus;
      }
    }
  }
  for (const p of pending) {
    const room = p.gpus === 0 ? p.extra : Math.floor(Math.max(0, spec.budget.gpus - used) / p.gpus);
    const add = Math.min(p.extra, room);
    out.set(p.key, (out.get(p.key) ?? 0) + add);
    used += add * p.gpus;
  }
  return out;
}

/** The number of budget levels of a bin and the one default-budget requests get. */
export function binLevels(policy: TestTimePolicy, b: BinSpec): { top: number; nominal: number } {
  return {
    top: b.strategies.length - 1,
    nominal: nominalLevel(b, policy.spec.budget.defaultGenerations),
  };
}

/**
 * The max level routers get: the planner's cap (the nominal level when there is none) moved by
 * the level steps, within [0, top]. Uncapped and stepped up stays uncapped: nothing to lift.
 */
export function overriddenMaxLevel(
  policy: TestTimePolicy,
  b: BinSpec,
  cap: number | undefined,
  delta: number,
): number | undefined {
  if (delta === 0 || (cap === undefined && delta > 0)) return cap;
  const { top, nominal } = binLevels(policy, b);
  return clamp((cap ?? nominal) + delta, 0, top);
}
