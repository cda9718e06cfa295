// The demo's arithmetic, kept apart from the I/O so it can be tested: accuracy and cost per run
// and per bin, and where the best-of-N curve reaches a given accuracy.
import type { Outcome } from "./workload.ts";

export interface Summary {
  problems: number;
  accuracy: number;
  generationsPerProblem: number;
  stoppedEarly: number;
}

export interface BinRow extends Summary {
  bin: number;
  // The strategy most requests of this bin ran.
  strategy: string;
}

export interface CurvePoint {
  generations: number;
  accuracy: number;
}

export function summarize(outcomes: readonly Outcome[]): Summary {
  const n = outcomes.length;
  const sum = (f: (o: Outcome) => number) => outcomes.reduce((s, o) => s + f(o), 0);
  return {
    problems: n,
    accuracy: n === 0 ? 0 : sum((o) => (o.correct ? 1 : 0)) / n,
    generationsPerProblem: n === 0 ? 0 : sum((o) => o.generations) / n,
    stoppedEarly: sum((o) => (o.stoppedEarly ? 1 : 0)),
  };
}

export function byBin(outcomes: readonly Outcome[]): BinRow[] {
  const groups = new Map<number, Outcome[]>();
  for (const o of outcomes) groups.set(o.bin, [...(groups.get(o.bin) ?? []), o]);
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bin, group]) => ({
      bin,
      strategy: mostCommon(group.map((o) => o.strategy)),
      ...summarize(group),
    }));
}

function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return (
    [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? ""
  );
}

// Accuracy grows roughly linearly in log(generations) (Snell et al., Fig. 3), so points between
// measured budgets are interpolated on a log scale.
function logInterpolate(x0: number, y0: number, x1: number, y1: number, y: number): number {
  if (y1 === y0) return x0;
  const t = (y - y0) / (y1 - y0);
  return 2 ** (Math.log2(x0) + t * (Math.log2(x1) - Math.log2(x0)));
}

// The generations best-of-N needs to reach `target`, or undefined when the measured curve never
// gets there (then the largest budget measured is a lower bound).
export function generationsForAccuracy(
  curve: readonly CurvePoint[],
  target: number,
): number | undefined {
  const points = [...curve].sort((a, b) => a.generations - b.generations);
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as CurvePoint;
    if (p.accuracy < target) continue;
    const prev = points[i - 1];
    if (!prev || prev.accuracy >= target) return p.generations;
    return logInterpolate(prev.generations, prev.accuracy, p.generations, p.accuracy, target);
  }
  return undefined;
}

export function accuracyAtGenerations(curve: readonly CurvePoint[], generations: number): number {
  const points = [...curve].sort((a, b) => a.generations - b.generations);
  const first = points[0];
  if (!first) return 0;
  if (generations <= first.generations) return first.accuracy;
  for (let i = 1; i < points.length; i++) {
    const lo = points[i - 1] as CurvePoint;
    const hi = points[i] as CurvePoint;
    if (generations <= hi.generations) {
      const t =
        (Math.log2(generations) - Math.log2(lo.generations)) /
        (Math.log2(hi.generations) - Math.log2(lo.generations));
      return lo.accuracy + t * (hi.accuracy - lo.accuracy);
    }
  }
  return (points[points.length - 1] as CurvePoint).accuracy;
}
