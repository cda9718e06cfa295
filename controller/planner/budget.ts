// The GPU budget, pure math (Dynamo's core/budget.py in spirit): pick one budget level per bin so
// that the GPUs the chosen levels need fit `budget.gpus` and Σ_b λ_b · accuracy_{b,l} is as high
// as possible. This is a multiple-choice knapsack; bins × levels is at most 10 × 8, so it is
// solved exactly by dynamic programming over GPU totals (kept as a Pareto frontier), not greedily.
// When nothing fits, every bin takes its cheapest (then lowest) level and replicas are cut
// (shrinkToBudget).

export interface LevelOption {
  /** The level's index in the bin's table (ascending generations). */
  level: number;
  /** GPUs the bin's pools need at this level. */
  gpus: number;
  /** λ_b · expected accuracy at this level. */
  value: number;
}

export interface LevelChoice {
  /** Per bin (in input order), the index into its options. */
  choice: number[];
  gpus: number;
  value: number;
  fits: boolean;
}

/**
 * Expected accuracy per level: calibration's figures where present; where absent, accuracy is
 * assumed to rise with the level (a bin with none gets (l+1)/n; a gap gets just above the level
 * below it, so a lower level is never preferred for accuracy it was not shown to have).
 */
export function levelAccuracies(levels: ReadonlyArray<{ expectedAccuracy?: number }>): number[] {
  if (levels.every((l) => l.expectedAccuracy === undefined)) {
    return levels.map((_, i) => (i + 1) / levels.length);
  }
  const out: number[] = [];
  let previous = 0;
  for (const l of levels) {
    const acc = l.expectedAccuracy ?? previous + 1e-3;
    out.push(acc);
    previous = acc;
  }
  return out;
}

interface Partial {
  gpus: number;
  value: number;
  /** Σ of chosen levels: on equal value (e.g. no demand) the higher levels win. */
  levels: number;
  choice: number[];
}

const eps = 1e-9;

function better(a: Partial, b: Partial): boolean {
  if (a.value > b.value + eps) return true;
  if (a.value < b.value - eps) return false;
  if (a.levels !== b.levels) return a.levels > b.levels;
  return a.gpus < b.gpus;
}

/** Keeps, per GPU total, the best partial, then drops those beaten by a cheaper one. */
function frontier(states: Partial[]): Partial[] {
  const byGpus = new Map<number, Partial>();
  for (const s of states) {
    const seen = byGpus.get(s.gpus);
    if (!seen || better(s, seen)) byGpus.set(s.gpus, s);
  }
  const sorted = [...byGpus.values()].sort((a, b) => a.gpus - b.gpus);
  const kept: Partial[] = [];
  for (const s of sorted) {
    const last = kept.at(-1);
    if (!last || better(s, last)) kept.push(s);
  }
  return kept;
}

export function chooseLevels(
  bins: ReadonlyArray<readonly LevelOption[]>,
  budget: number,
): LevelChoice {
  let states: Partial[] = [{ gpus: 0, value: 0, levels: 0, choice: [] }];
  for (const options of bins) {
    if (options.length === 0) throw new Error("a bin without budget levels");
    const next: Partial[] = [];
    for (const s of states) {
      options.forEach((o, i) => {
        next.push({
          gpus: s.gpus + o.gpus,
          value: s.value + o.value,
          levels: s.levels + o.level,
          choice: [...s.choice, i],
        });
      });
    }
    // Pruning a dominated partial is safe: any completion of it completes the dominating one at
    // no more GPUs and no less value.
    states = frontier(next);
  }
  let best: Partial | undefined;
  for (const s of states) if (s.gpus <= budget && (!best || better(s, best))) best = s;
  if (best) return { choice: best.choice, gpus: best.gpus, value: best.value, fits: true };
  // Nothing fits, so replicas will be cut below what demand needs: every bin takes its cheapest
  // level, and on a tie the lowest one, so each request it still serves costs the least.
  const choice = bins.map((options) => {
    let pick = 0;
    options.forEach((o, i) => {
      const p = options[pick] as LevelOption;
      if (o.gpus < p.gpus || (o.gpus === p.gpus && o.level < p.level)) pick = i;
    });
    return pick;
  });
  const sum = (f: (o: LevelOption) => number) =>
    choice.reduce((n, c, b) => n + f(bins[b]?.[c] as LevelOption), 0);
  return { choice, gpus: sum((o) => o.gpus), value: sum((o) => o.value), fits: false };
}

export interface ShrinkPool {
  replicas: number;
  minReplicas: number;
  gpusPerReplica: number;
}

/**
 * When even the cheapest levels do not fit, take replicas away, one at a time from the pool with
 * the most replicas above its minimum, until the GPUs fit (minReplicas is never broken).
 */
export function shrinkToBudget(pools: readonly ShrinkPool[], budget: number): number[] {
  const out = pools.map((p) => p.replicas);
  let total = pools.reduce((n, p, i) => n + (out[i] as number) * p.gpusPerReplica, 0);
  while (total > budget) {
    let pick = -1;
    for (let i = 0; i < pools.length; i++) {
      const p = pools[i] as ShrinkPool;
      const spare = (out[i] as number) - p.minReplicas;
      if (spare <= 0 || p.gpusPerReplica === 0) continue;
      if (pick < 0 || spare > (out[pick] as number) - (pools[pick] as ShrinkPool).minReplicas)
        pick = i;
    }
    if (pick < 0) break;
    out[pick] = (out[pick] as number) - 1;
    total -= (pools[pick] as ShrinkPool).gpusPerReplica;
  }
  return out;
}
