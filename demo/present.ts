// What the demo prints: a per-bin table, the best-of-N curve, and the headline comparison.
import {
  accuracyAtGenerations,
  type BinRow,
  type CurvePoint,
  generationsForAccuracy,
  type Summary,
} from "./report.ts";

export interface DemoResult {
  problems: number;
  optimal: { accuracy: number; generationsPerProblem: number; stoppedEarly: number };
  baseline: {
    // Plain best-of-N at the optimal run's average budget, measured.
    accuracy: number;
    generationsPerProblem: number;
    // What best-of-N needs to match the optimal accuracy (the largest N measured when it never
    // gets there, and then efficiency is a lower bound).
    generationsForEqualAccuracy: number;
    curve: CurvePoint[];
  };
  efficiency: number;
  efficiencyIsLowerBound: boolean;
  bins: {
    bin: number;
    strategy: string;
    problems: number;
    accuracy: number;
    generationsPerProblem: number;
  }[];
}

export function demoReport(
  optimal: Summary,
  bins: BinRow[],
  curve: CurvePoint[],
  sameBudget: number,
): DemoResult {
  const needed = generationsForAccuracy(curve, optimal.accuracy);
  const largest = Math.max(...curve.map((p) => p.generations));
  const equal = needed ?? largest;
  const measured = curve.find((p) => p.generations === sameBudget);
  return {
    problems: optimal.problems,
    optimal: {
      accuracy: optimal.accuracy,
      generationsPerProblem: optimal.generationsPerProblem,
      stoppedEarly: optimal.stoppedEarly,
    },
    baseline: {
      accuracy: measured?.accuracy ?? accuracyAtGenerations(curve, sameBudget),
      generationsPerProblem: sameBudget,
      generationsForEqualAccuracy: equal,
      curve,
    },
    efficiency: optimal.generationsPerProblem > 0 ? equal / optimal.generationsPerProblem : 0,
    efficiencyIsLowerBound: needed === undefined,
    bins: bins.map((b) => ({
      bin: b.bin,
      strategy: b.strategy,
      problems: b.problems,
      accuracy: b.accuracy,
      generationsPerProblem: b.generationsPerProblem,
    })),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => x.toFixed(1);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ")}`;
  return [line(head), ...rows.map(line)].join("\n");
}

export function formatDemo(r: DemoResult): string {
  const binRows = r.bins.map((b) => [
    String(b.bin),
    b.strategy,
    String(b.problems),
    num(b.generationsPerProblem),
    pct(b.accuracy),
  ]);
  binRows.push([
    "all",
    "",
    String(r.problems),
    num(r.optimal.generationsPerProblem),
    pct(r.optimal.accuracy),
  ]);
  const curveRows = r.baseline.curve.map((p) => [String(p.generations), pct(p.accuracy)]);
  const verdict = r.efficiencyIsLowerBound
    ? `best-of-N never reaches ${pct(r.optimal.accuracy)} up to N=${r.baseline.generationsForEqualAccuracy}: ` +
      `compute-optimal is at least ${r.efficiency.toFixed(1)}x more efficient`
    : `best-of-N needs ${num(r.baseline.generationsForEqualAccuracy)} generations per problem to reach ` +
      `${pct(r.optimal.accuracy)}; compute-optimal needs ${num(r.optimal.generationsPerProblem)}: ` +
      `${r.efficiency.toFixed(1)}x more efficient`;
  return [
    "",
    "compute-optimal (bin 1 = easiest; the probe's samples count as generations)",
    table(["bin", "strategy", "problems", "generations", "accuracy"], binRows),
    `  adaptive early stopping ended ${r.optimal.stoppedEarly} of ${r.problems} searches early`,
    "",
    "plain best-of-N, weighted by the PRM (same problems, no probe, no early stopping)",
    table(["N", "accuracy"], curveRows),
    "",
    `at the same average budget (N=${r.baseline.generationsPerProblem}): best-of-N ${pct(r.baseline.accuracy)}, ` +
      `compute-optimal ${pct(r.optimal.accuracy)}`,
    verdict,
    "",
  ].join("\n");
}
