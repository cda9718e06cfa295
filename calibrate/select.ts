// The compute-optimal table from what calibration measured (Snell et al. §3): bins are quantiles
// of the probe score, and each (bin, budget) gets the grid cell chosen by k-fold cross-validation.
//
// For each fold f, the training pick is the cell most accurate on the bin's other folds (ties to
// the cheaper: fewer generations, then fewer tokens); it is scored on fold f's problems. The CV
// accuracy is those held-out scores pooled: an honest estimate of the table's accuracy, which an
// in-sample best (the maximum of many noisy accuracies) is not. The table's entry is the cell the
// folds picked most often; when they split, the difference between the picks is within the
// noise of one fold, and the entry is the cheapest of them (a tie).
//
// The counts come from the serve path (the probe charged), so "generations" here is what a
// request really costs.
import { createHash } from "node:crypto";
import { binForScore, quantileThresholds } from "../router/engine/difficulty.ts";
import type { StrategySpec } from "./engine-runs.ts";
import type { GridCell } from "./grid.ts";
import type { CellResult, ProblemResult } from "./measurement.ts";

export interface SelectOptions {
  bins: number;
  folds?: number; // default 2, as the paper
  // Given: use these cut points instead of the probe scores' quantiles.
  thresholds?: readonly number[];
  // The baseline the efficiency compares against; it must be in the grid.
  baseline?: string;
}

// Means per request (failed cells left out), as the planner sizes pools by.
export interface Cost {
  generations: number;
  proposerTokens: number;
  verifierTokens: number;
  backendCalls: number;
}

export interface CandidateStats extends Cost {
  label: string;
  strategy: string;
  budget: number;
  accuracy: number; // in-sample, on all of the bin's problems
  failed: number;
}

export interface Choice extends Cost {
  budget: number;
  label: string;
  spec: StrategySpec;
  cvAccuracy: number;
  ci95: [number, number]; // Wilson, on the held-out outcomes
  heldOutCorrect: number;
  problems: number;
  foldPicks: string[]; // the training pick of each fold
  inSample: { label: string; accuracy: number }; // the in-sample best, for the report
}

export interface BinSelection {
  bin: number; // 1 = easiest (highest probe scores)
  threshold: number | null; // the probe-score cut point towards bin + 1; null for the last bin
  problems: number;
  candidates: CandidateStats[];
  chosen: Choice[]; // by budget, ascending
}

export interface OverallPoint {
  budget: number;
  // The table served with held-out picks: each problem answered by its fold's training pick.
  generations: number;
  optimal: number;
  optimalCi95: [number, number];
  bestOfN: number;
  bestOfNGenerations: number;
  bestOfNCi95: [number, number];
}

export interface Efficiency {
  value: number;
  isLowerBound: boolean;
}

export interface Selection {
  thresholds: number[];
  folds: number;
  budgets: number[];
  problems: number;
  bins: BinSelection[];
  overall: OverallPoint[];
  // Best-of-N's generations for the compute-optimal accuracy, over compute-optimal's: the best
  // budget's, and every budget's.
  efficiency: Efficiency & { budget: number };
  efficiencyPerBudget: (Efficiency & { budget: number })[];
  failedCells: number;
}

export function select(
  results: readonly ProblemResult[],
  grid: readonly GridCell[],
  options: SelectOptions,
): Selection {
  const folds = options.folds ?? 2;
  const baseline = options.baseline ?? "bestOfN";
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`--folds must be ≥ 2, got ${folds}`);
  if (results.length === 0) throw new Error("calibration measured no problems");
  const budgets = [...new Set(grid.map((c) => c.budget))].sort((a, b) => a - b);
  for (const budget of budgets) {
    if (!grid.some((c) => c.budget === budget && c.label === baseline)) {
      throw new Error(`the grid has no ${baseline} at N=${budget}: it is the baseline to beat`);
    }
  }
  const thresholds = options.thresholds
    ? [...options.thresholds]
    : quantileThresholds(
        results.map((r) => r.probeScore),
        options.bins,
      );
  const table = outcomes(results);
  const binOf = (r: ProblemResult) => binForScore(r.probeScore, thresholds, options.bins);
  const foldOf = assignFolds(results, binOf, folds);
  // The held-out outcome each problem gets from the table, per budget.
  const served = new Map<number, Outcome[]>(budgets.map((b) => [b, []]));

  const bins: BinSelection[] = [];
  for (let bin = 1; bin <= options.bins; bin++) {
    const members = results.filter((r) => binOf(r) === bin);
    const candidates: CandidateStats[] = [];
    const chosen: Choice[] = [];
    for (const budget of budgets) {
      const cells = grid.filter((c) => c.budget === budget);
      const stats = (cell: GridCell, of: readonly ProblemResult[]) =>
        summarize(of.map((r) => table.get(r.id, cell)));
      for (const cell of cells) {
        const s = stats(cell, members);
        candidates.push({ label: cell.label, strategy: cell.spec.strategy, budget, ...s });
      }
      const foldPicks: GridCell[] = [];
      let heldOutCorrect = 0;
      for (let f = 0; f < folds; f++) {
        const train = members.filter((r) => foldOf.get(r.id) !== f);
        const pick = best(cells, (cell) => stats(cell, train));
        foldPicks.push(pick);
        for (const r of members.filter((m) => foldOf.get(m.id) === f)) {
          const outcome = table.get(r.id, pick);
          if (outcome.correct) heldOutCorrect++;
          served.get(budget)?.push(outcome);
        }
      }
      const entry = vote(foldPicks, (cell) => stats(cell, members));
      const inSample = best(cells, (cell) => stats(cell, members));
      const { accuracy: _, failed: __, ...cost } = stats(entry, members);
      chosen.push({
        budget,
        label: entry.label,
        spec: entry.spec,
        cvAccuracy: members.length === 0 ? 0 : heldOutCorrect / members.length,
        ci95: wilson(heldOutCorrect, members.length),
        heldOutCorrect,
        problems: members.length,
        foldPicks: foldPicks.map((c) => c.label),
        inSample: { label: inSample.label, accuracy: stats(inSample, members).accuracy },
        ...cost,
      });
    }
    bins.push({
      bin,
      threshold: bin < options.bins ? (thresholds[options.bins - 1 - bin] ?? null) : null,
      problems: members.length,
      candidates,
      chosen,
    });
  }

  const overall = budgets.map((budget): OverallPoint => {
    const optimal = summarize(served.get(budget) ?? []);
    const cell = grid.find((c) => c.budget === budget && c.label === baseline) as GridCell;
    const bon = summarize(results.map((r) => table.get(r.id, cell)));
    const n = results.length;
    return {
      budget,
      generations: optimal.generations,
      optimal: optimal.accuracy,
      optimalCi95: wilson(Math.round(optimal.accuracy * n), n),
      bestOfN: bon.accuracy,
      bestOfNGenerations: bon.generations,
      bestOfNCi95: wilson(Math.round(bon.accuracy * n), n),
    };
  });
  const efficiencyPerBudget = overall.map((o) => ({
    budget: o.budget,
    ...efficiencyAt(
      o,
      overall.map((p) => ({ generations: p.bestOfNGenerations, accuracy: p.bestOfN })),
    ),
  }));
  return {
    thresholds,
    folds,
    budgets,
    problems: results.length,
    bins,
    overall,
    efficiency: headline(efficiencyPerBudget),
    efficiencyPerBudget,
    failedCells: table.failed,
  };
}

interface Outcome {
  correct: boolean;
  failed: boolean;
  cell?: CellResult;
}

// Every problem's cells by (label, budget); a cell the run lost counts as wrong.
function outcomes(results: readonly ProblemResult[]) {
  const byProblem = new Map<string, Map<string, CellResult>>();
  let failed = 0;
  for (const r of results) {
    const cells = new Map<string, CellResult>();
    for (const c of r.cells) cells.set(key(c.label, c.budget), c);
    byProblem.set(r.id, cells);
    failed += r.cells.filter((c) => c.failed).length;
  }
  return {
    failed,
    get(id: string, cell: GridCell): Outcome {
      const c = byProblem.get(id)?.get(key(cell.label, cell.budget));
      if (!c || c.failed) return { correct: false, failed: true, ...(c ? { cell: c } : {}) };
      return { correct: c.correct, failed: false, cell: c };
    },
  };
}

const key = (label: string, budget: number) => `${label}@${budget}`;

function summarize(outcomes: readonly Outcome[]): Cost & { accuracy: number; failed: number } {
  const measured = outcomes.filter((o) => !o.failed && o.cell).map((o) => o.cell as CellResult);
  const mean = (f: (c: CellResult) => number) =>
    measured.length === 0 ? 0 : measured.reduce((sum, c) => sum + f(c), 0) / measured.length;
  return {
    accuracy:
      outcomes.length === 0 ? 0 : outcomes.filter((o) => o.correct).length / outcomes.length,
    failed: outcomes.length - measured.length,
    generations: mean((c) => c.generations),
    proposerTokens: mean((c) => c.proposerTokens),
    verifierTokens: mean((c) => c.verifierTokens),
    backendCalls: mean((c) => c.backendCalls),
  };
}

type Stats = ReturnType<typeof summarize>;

// Fewer generations, then fewer tokens; the grid's order last, so the choice is deterministic.
function cheaper(a: Stats, b: Stats): number {
  return (
    a.generations - b.generations ||
    a.proposerTokens + a.verifierTokens - (b.proposerTokens + b.verifierTokens)
  );
}

function best(cells: readonly GridCell[], stats: (cell: GridCell) => Stats): GridCell {
  const scored = cells.map((cell, i) => ({ cell, i, s: stats(cell) }));
  scored.sort((a, b) => b.s.accuracy - a.s.accuracy || cheaper(a.s, b.s) || a.i - b.i);
  return (scored[0] as (typeof scored)[number]).cell;
}

// The cell most folds picked; a split vote goes to the cheapest of the most-picked.
function vote(picks: readonly GridCell[], stats: (cell: GridCell) => Stats): GridCell {
  const counts = new Map<GridCell, number>();
  for (const p of picks) counts.set(p, (counts.get(p) ?? 0) + 1);
  const most = Math.max(...counts.values());
  const tied = [...counts].filter(([, n]) => n === most).map(([cell]) => cell);
  const scored = tied.map((cell, i) => ({ cell, i, s: stats(cell) }));
  scored.sort((a, b) => cheaper(a.s, b.s) || a.i - b.i);
  return (scored[0] as (typeof scored)[number]).cell;
}

// Folds stratified per bin, deterministic: a bin's problems ordered by a hash of their id (so
// the order of the dataset does not matter) and dealt round-robin.
export function assignFolds(
  results: readonly ProblemResult[],
  binOf: (r: ProblemResult) => number,
  folds: number,
): Map<string, number> {
  const byBin = new Map<number, { id: string; h: string }[]>();
  for (const r of results) {
    const list = byBin.get(binOf(r)) ?? [];
    list.push({ id: r.id, h: createHash("sha256").update(r.id).digest("hex") });
    byBin.set(binOf(r), list);
  }
  const fold = new Map<string, number>();
  for (const list of byBin.values()) {
    list.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.id < b.id ? -1 : 1));
    for (const [i, p] of list.entries()) fold.set(p.id, i % folds);
  }
  return fold;
}

// The Wilson score interval at 95%: sound at accuracies near 0 or 1 and for small bins.
export function wilson(correct: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959963984540054;
  const p = correct / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

// Best-of-N's generations to reach `point`'s accuracy, over `point`'s generations. Best-of-N's
// curve is its best accuracy so far by generations, interpolated in log generations; when the
// compute-optimal accuracy is above all of it, its largest budget is used and the ratio is only a
// lower bound.
export function efficiencyAt(
  point: { generations: number; optimal: number },
  bestOfN: readonly { generations: number; accuracy: number }[],
): Efficiency {
  const curve = [...bestOfN].sort((a, b) => a.generations - b.generations);
  let runningBest = Number.NEGATIVE_INFINITY;
  const hull = curve.map((p) => {
    runningBest = Math.max(runningBest, p.accuracy);
    return { generations: p.generations, accuracy: runningBest };
  });
  const target = point.optimal;
  const ratio = (g: number) => (point.generations > 0 ? g / point.generations : 0);
  const last = hull[hull.length - 1];
  if (!last) throw new Error("no best-of-N measurements");
  if (target > last.accuracy) return { value: ratio(last.generations), isLowerBound: true };
  const i = hull.findIndex((p) => p.accuracy >= target);
  const above = hull[i] as (typeof hull)[number];
  const below = hull[i - 1];
  if (!below || above.accuracy === target || above.accuracy === below.accuracy) {
    return { value: ratio(above.generations), isLowerBound: false };
  }
  const t = (target - below.accuracy) / (above.accuracy - below.accuracy);
  const log = Math.log(below.generations) + t * Math.log(above.generations / below.generations);
  return { value: ratio(Math.exp(log)), isLowerBound: false };
}

// The headline: the budget where compute-optimal saves the most. It is a lower bound when any
// budget's is, since that budget's true saving may be the larger.
function headline(per: readonly (Efficiency & { budget: number })[]): Efficiency & {
  budget: number;
} {
  const top = [...per].sort((a, b) => b.value - a.value)[0] as Efficiency & { budget: number };
  return { ...top, isLowerBound: per.some((p) => p.isLowerBound) };
}
