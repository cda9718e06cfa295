// Accuracy-weighted goodput of a GPU-budgeted fleet on a trace whose difficulty mix shifts: the
// planner (controller/planner, stepped every tick on the demand routers would report) against a
// static per-bin split of the same GPUs at the table's default level. A fleet model, not a fleet:
// a bin serves min(λ, replicas × capacity / tokens per request) per role, new replicas take a
// startup delay to become ready, and every served request is correct with the calibrated expected
// accuracy of its bin and level. Pure apart from its inputs, so the bench and its test share it.
import type { BinDemand } from "../controller/planner/demand.ts";
import { nominalLevel, step } from "../controller/planner/planner.ts";
import { emptyState } from "../controller/planner/state.ts";
import type { Role } from "../controller/policy/names.ts";
import type { TestTimePolicySpec } from "../controller/policy/types.ts";

export interface Phase {
  seconds: number;
  /** Arrivals per second per bin (index 0 = bin 1). */
  rates: number[];
}

export interface FleetModel {
  spec: TestTimePolicySpec;
  tickSeconds: number;
  /** Time from a replica being asked for to it serving (vLLM loads weights). */
  startupSeconds: number;
  /** Reported demand is a count over this window (Poisson noise), as the routers' reports are. */
  reportWindowSeconds: number;
  rand: () => number;
}

export interface Outcome {
  /** Correct answers per second, averaged over the trace. */
  goodput: number;
  /** Served requests per second, averaged. */
  served: number;
  arrived: number;
  /** GPU-seconds of ready replicas per second: what the fleet actually ran, on average. */
  gpus: number;
  /** Per bin, the mean level requests got (weighted by served requests). */
  meanLevel: number[];
}

const roles: Role[] = ["proposer", "verifier"];

function sortedLevels(spec: TestTimePolicySpec, bin: number) {
  const b = spec.bins.find((x) => x.bin === bin);
  if (!b) throw new Error(`no bin ${bin}`);
  return [...b.strategies].sort((x, y) => x.generations - y.generations);
}

function tokens(spec: TestTimePolicySpec, bin: number, level: number, role: Role): number {
  const l = sortedLevels(spec, bin)[level];
  const t = role === "proposer" ? l?.proposerTokens : l?.verifierTokens;
  if (t === undefined) throw new Error(`bin ${bin} level ${level} has no ${role} cost`);
  return t;
}

function accuracy(spec: TestTimePolicySpec, bin: number, level: number): number {
  const a = sortedLevels(spec, bin)[level]?.expectedAccuracy;
  if (a === undefined) throw new Error(`bin ${bin} level ${level} has no expected accuracy`);
  return a;
}

/** A Poisson count (Knuth's method for small means, normal approximation for large ones). */
function poisson(mean: number, rand: () => number): number {
  if (mean > 50) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

/** Replicas that become ready `startupSeconds` after being asked for; removals are at once. */
class Pool {
  private readyAt: number[] = [];
  resize(replicas: number, now: number, startup: number): void {
    while (this.readyAt.length > replicas) this.readyAt.pop();
    while (this.readyAt.length < replicas) this.readyAt.push(now + startup);
  }
  ready(now: number): number {
    return this.readyAt.filter((t) => t <= now).length;
  }
}

export interface Controller {
  /** Replicas per (bin, role) and the level each bin's requests get, given what routers report. */
  decide(
    demand: BinDemand[],
    now: number,
  ): {
    replicas: (bin: number, role: Role) => number;
    level: (bin: number) => number;
  };
}

export function plannerController(spec: TestTimePolicySpec): Controller {
  let state = emptyState();
  return {
    decide(demand, now) {
      const out = step(state, { spec, demand, now });
      state = out.state;
      return {
        replicas: (bin, role) =>
          out.pools.find((p) => p.bin === bin && p.role === role)?.replicas ?? 0,
        level: (bin) => out.maxLevels.find((l) => l.bin === bin)?.level ?? 0,
      };
    },
  };
}

/**
 * The best static split of `budget.gpus` a careful operator could write by hand: every pool its
 * minimum, then each further GPU to the pool with the most load per replica over the whole trace
 * (it knows the average mix in advance), every bin at its default level.
 */
export function staticController(spec: TestTimePolicySpec, phases: Phase[]): Controller {
  const total = phases.reduce((n, p) => n + p.seconds, 0);
  const bins = [...spec.bins].sort((a, b) => a.bin - b.bin);
  const load = new Map<string, number>();
  const replicas = new Map<string, number>();
  let gpus = 0;
  for (const b of bins) {
    const level = nominalLevel(b, spec.budget.defaultGenerations);
    const mean = phases.reduce((n, p) => n + (p.rates[b.bin - 1] ?? 0) * p.seconds, 0) / total;
    for (const role of roles) {
      const key = `${b.bin}/${role}`;
      const cap = spec[role].capacityTokensPerSecond ?? 1;
      load.set(key, (mean * tokens(spec, b.bin, level, role)) / cap);
      replicas.set(key, b[role].minReplicas);
      gpus += b[role].minReplicas * spec[role].gpus;
    }
  }
  for (;;) {
    let pick: string | undefined;
    let worst = -1;
    for (const [key, l] of load) {
      const role = key.split("/")[1] as Role;
      const n = replicas.get(key) ?? 0;
      if (gpus + spec[role].gpus > spec.budget.gpus) continue;
      if (l / Math.max(n, 0.5) > worst) {
        worst = l / Math.max(n, 0.5);
        pick = key;
      }
    }
    if (!pick) break;
    replicas.set(pick, (replicas.get(pick) ?? 0) + 1);
    gpus += spec[pick.split("/")[1] as Role].gpus;
  }
  return {
    decide: () => ({
      replicas: (bin, role) => replicas.get(`${bin}/${role}`) ?? 0,
      level: (bin) => {
        const b = bins.find((x) => x.bin === bin);
        return b ? nominalLevel(b, spec.budget.defaultGenerations) : 0;
      },
    }),
  };
}

export function simulate(model: FleetModel, phases: Phase[], controller: Controller): Outcome {
  const { spec, tickSeconds: dt } = model;
  const bins = [...spec.bins].sort((a, b) => a.bin - b.bin).map((b) => b.bin);
  const pools = new Map(bins.flatMap((b) => roles.map((r) => [`${b}/${r}`, new Pool()] as const)));
  let correct = 0;
  let served = 0;
  let arrived = 0;
  let gpuSeconds = 0;
  const levelSum = bins.map(() => 0);
  const levelWeight = bins.map(() => 0);
  let demand: BinDemand[] = bins.map((bin) => ({ bin, requestsPerSecond: 0 }));
  let now = 0;
  for (const phase of phases) {
    for (let t = 0; t < phase.seconds; t += dt) {
      const decision = controller.decide(demand, now);
      const next: BinDemand[] = [];
      for (const bin of bins) {
        for (const role of roles) {
          pools
            .get(`${bin}/${role}`)
            ?.resize(decision.replicas(bin, role), now, model.startupSeconds);
        }
        const level = decision.level(bin);
        const rate = phase.rates[bin - 1] ?? 0;
        let capacity = Number.POSITIVE_INFINITY;
        for (const role of roles) {
          const ready = pools.get(`${bin}/${role}`)?.ready(now) ?? 0;
          gpuSeconds += ready * spec[role].gpus * dt;
          const cap = spec[role].capacityTokensPerSecond ?? 0;
          capacity = Math.min(capacity, (ready * cap) / tokens(spec, bin, level, role));
        }
        const s = Math.min(rate, capacity);
        arrived += rate * dt;
        served += s * dt;
        correct += s * accuracy(spec, bin, level) * dt;
        levelSum[bin - 1] = (levelSum[bin - 1] ?? 0) + s * level * dt;
        levelWeight[bin - 1] = (levelWeight[bin - 1] ?? 0) + s * dt;
        const w = model.reportWindowSeconds;
        next.push({
          bin,
          requestsPerSecond: poisson(rate * w, model.rand) / w,
          proposerTokensPerRequest: tokens(spec, bin, level, "proposer"),
          verifierTokensPerRequest: tokens(spec, bin, level, "verifier"),
        });
      }
      demand = next;
      now += dt;
    }
  }
  return {
    goodput: correct / now,
    served: served / now,
    arrived: arrived / now,
    gpus: gpuSeconds / now,
    meanLevel: levelSum.map((x, i) => x / Math.max(levelWeight[i] ?? 0, 1e-9)),
  };
}
