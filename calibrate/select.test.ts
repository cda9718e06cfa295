import assert from "node:assert/strict";
import { test } from "node:test";
import { binForScore } from "../router/engine/difficulty.ts";
import type { GridCell } from "./grid.ts";
import type { CellResult, ProblemResult } from "./measurement.ts";
import { assignFolds, efficiencyAt, select, wilson } from "./select.ts";

const cell = (label: string, budget: number, strategy = label): GridCell => ({
  label,
  budget,
  spec: { label, strategy: strategy as GridCell["spec"]["strategy"] },
});

// A cell's outcome with tokens proportional to its generations, so costs are easy to check.
const outcome = (
  c: GridCell,
  correct: boolean,
  generations: number,
  failed = false,
): CellResult => ({
  label: c.label,
  budget: c.budget,
  correct,
  generations,
  proposerTokens: generations * 100,
  verifierTokens: generations * 10,
  backendCalls: 2,
  ...(failed ? { failed } : {}),
});

const problem = (id: string, probeScore: number, cells: CellResult[]): ProblemResult => ({
  id,
  probeScore,
  oraclePass1: null,
  cells,
});

test("thresholds are the probe scores' quantiles; bin 1 holds the highest scores", () => {
  const bon = cell("bestOfN", 4);
  const results = Array.from({ length: 12 }, (_, i) =>
    problem(`p${i}`, 0.4 + i * 0.03, [outcome(bon, i % 2 === 0, 4)]),
  );
  const s = select(results, [bon], { bins: 3 });
  assert.deepEqual(s.thresholds, [0.4 + 4 * 0.03, 0.4 + 8 * 0.03]);
  assert.deepEqual(
    s.bins.map((b) => [b.bin, b.threshold, b.problems]),
    [
      [1, s.thresholds[1], 4],
      [2, s.thresholds[0], 4],
      [3, null, 4],
    ],
  );
  // The bins are the router's: a score at a bin's threshold falls in that bin.
  assert.equal(binForScore(s.bins[0]?.threshold as number, s.thresholds, 3), 1);
  assert.equal(binForScore(s.bins[1]?.threshold as number, s.thresholds, 3), 2);
  // Given thresholds are kept.
  assert.deepEqual(
    select(results, [bon], { bins: 3, thresholds: [0.5, 0.6] }).thresholds,
    [0.5, 0.6],
  );
});

test("folds are stratified per bin and do not depend on the dataset's order", () => {
  const results = Array.from({ length: 21 }, (_, i) => problem(`q${i}`, i < 10 ? 0.2 : 0.8, []));
  const binOf = (r: ProblemResult) => (r.probeScore < 0.5 ? 2 : 1);
  const folds = assignFolds(results, binOf, 2);
  const reversed = assignFolds([...results].reverse(), binOf, 2);
  assert.deepEqual([...folds].sort(), [...reversed].sort());
  for (const [bin, size] of [
    [2, 10],
    [1, 11],
  ] as const) {
    const inBin = results.filter((r) => binOf(r) === bin).map((r) => folds.get(r.id));
    assert.equal(inBin.length, size);
    assert.ok(
      Math.abs(inBin.filter((f) => f === 0).length - inBin.filter((f) => f === 1).length) <= 1,
    );
  }
});

// Twenty problems in one bin; A is the in-sample best only thanks to one fold.
function overfit() {
  const bon = cell("bestOfN", 4);
  const a = cell("beam(M=4)", 4, "beam");
  const b = cell("majority", 4);
  const ids = Array.from({ length: 20 }, (_, i) => `x${i}`);
  const folds = assignFolds(
    ids.map((id) => problem(id, 0.5, [])),
    () => 1,
    2,
  );
  const rank = new Map<string, number>();
  const results = ids.map((id) => {
    const f = folds.get(id) as number;
    const r = rank.get(`${f}`) ?? 0;
    rank.set(`${f}`, r + 1);
    // A: 8/10 on fold 0, 5/10 on fold 1 (13/20). B: 6/10 on each (12/20). best-of-N: 2/10.
    return problem(id, 0.5, [
      outcome(bon, r < 2, 4),
      outcome(a, f === 0 ? r < 8 : r < 5, 8),
      outcome(b, r < 6, 4),
    ]);
  });
  return { results, grid: [bon, a, b] };
}

test("CV selection: the in-sample pick and the CV pick differ", () => {
  const { results, grid } = overfit();
  const s = select(results, grid, { bins: 1 });
  const chosen = s.bins[0]?.chosen[0];
  assert.ok(chosen);
  assert.deepEqual(chosen.inSample, { label: "beam(M=4)", accuracy: 13 / 20 });
  // Trained on fold 1, B wins (6 > 5) and scores 6/10 on fold 0; trained on fold 0, A wins
  // (8 > 6) and scores 5/10 on fold 1.
  assert.deepEqual(chosen.foldPicks, ["majority", "beam(M=4)"]);
  assert.equal(chosen.heldOutCorrect, 11);
  assert.equal(chosen.cvAccuracy, 11 / 20);
  assert.deepEqual(chosen.ci95, wilson(11, 20));
  // The folds split: a tie, to the cheaper.
  assert.equal(chosen.label, "majority");
  assert.deepEqual(chosen.spec, { label: "majority", strategy: "majority" });
  // The overall compute-optimal point is the held-out one, not the in-sample best's 65%.
  assert.equal(s.overall[0]?.optimal, 11 / 20);
  assert.equal(s.overall[0]?.generations, (10 * 4 + 10 * 8) / 20);
  assert.equal(s.overall[0]?.bestOfN, 4 / 20);
});

test("when the folds agree the pick is theirs; equal accuracy goes to the cheaper", () => {
  const bon = cell("bestOfN", 16);
  const dear = cell("beam(M=4)", 16, "beam");
  const cheap = cell("dvts(M=4)", 16, "dvts");
  const results = Array.from({ length: 10 }, (_, i) =>
    problem(`t${i}`, 0.5, [
      outcome(bon, false, 16),
      outcome(dear, i < 7, 18),
      outcome(cheap, i < 7, 17),
    ]),
  );
  const chosen = select(results, [bon, dear, cheap], { bins: 1 }).bins[0]?.chosen[0];
  assert.equal(chosen?.label, "dvts(M=4)");
  assert.deepEqual(chosen?.foldPicks, ["dvts(M=4)", "dvts(M=4)"]);
  assert.equal(chosen?.inSample.label, "dvts(M=4)");
});

test("cost accounting: per-level means from the serve path, lost cells wrong and not costed", () => {
  const bon4 = cell("bestOfN", 4);
  const bon16 = cell("bestOfN", 16);
  // Generations include the probe's 4, as the serve path reports them.
  const results = [
    problem("a", 0.9, [outcome(bon4, true, 4), outcome(bon16, true, 20)]),
    problem("b", 0.9, [outcome(bon4, true, 6), outcome(bon16, false, 0, true)]),
    problem("c", 0.1, [outcome(bon4, false, 8), outcome(bon16, true, 24)]),
    problem("d", 0.1, [outcome(bon4, false, 4)]), // its N=16 cell is missing: lost
  ];
  const s = select(results, [bon4, bon16], { bins: 2, thresholds: [0.5] });
  assert.equal(s.failedCells, 1);
  const [easy, hard] = s.bins;
  assert.deepEqual(
    easy?.chosen.map((c) => [
      c.budget,
      c.generations,
      c.proposerTokens,
      c.verifierTokens,
      c.backendCalls,
    ]),
    [
      [4, 5, 500, 50, 2],
      [16, 20, 2000, 200, 2],
    ],
  );
  assert.deepEqual(
    hard?.candidates.map((c) => [c.budget, c.accuracy, c.generations, c.failed]),
    [
      [4, 0, 6, 0],
      [16, 0.5, 24, 1],
    ],
  );
  assert.deepEqual(
    s.overall.map((o) => [o.budget, o.optimal, o.bestOfN, o.generations]),
    [
      [4, 0.5, 0.5, 5.5],
      [16, 0.5, 0.5, 22],
    ],
  );
});

test("efficiency: best-of-N's generations for the same accuracy, interpolated in log N", () => {
  const bestOfN = [
    { generations: 4, accuracy: 0.4 },
    { generations: 16, accuracy: 0.5 },
    { generations: 64, accuracy: 0.6 },
    { generations: 256, accuracy: 0.58 },
  ];
  // 0.55 is half way from N=16 to N=64: 32 generations, against 8.
  const mid = efficiencyAt({ generations: 8, optimal: 0.55 }, bestOfN);
  assert.equal(mid.isLowerBound, false);
  assert.ok(Math.abs(mid.value - 4) < 1e-9);
  // Above anything best-of-N reached: its largest budget, and only a lower bound.
  assert.deepEqual(efficiencyAt({ generations: 32, optimal: 0.7 }, bestOfN), {
    value: 8,
    isLowerBound: true,
  });
  // At best-of-N's own accuracy at N=16 (its curve being the best so far, N=256's dip ignored).
  assert.deepEqual(efficiencyAt({ generations: 16, optimal: 0.5 }, bestOfN), {
    value: 1,
    isLowerBound: false,
  });
});

test("the headline efficiency is the best budget's, a lower bound when any budget's is", () => {
  const { results, grid } = overfit();
  const s = select(results, grid, { bins: 1 });
  // Compute-optimal beats every best-of-N budget here: a lower bound.
  assert.equal(s.efficiency.isLowerBound, true);
  assert.equal(s.efficiency.budget, 4);
  const [only] = s.overall;
  assert.ok(only);
  assert.equal(s.efficiency.value, only.bestOfNGenerations / only.generations);
});

test("the Wilson interval and the refusals", () => {
  const [low, high] = wilson(8, 10);
  assert.ok(Math.abs(low - 0.4902) < 1e-4 && Math.abs(high - 0.9433) < 1e-4);
  assert.deepEqual(wilson(0, 0), [0, 1]);
  assert.equal(wilson(0, 5)[0], 0);
  const { results, grid } = overfit();
  assert.throws(() => select(results, grid.slice(1), { bins: 1 }), /no bestOfN at N=4/);
  assert.throws(() => select(results, grid, { bins: 1, folds: 1 }), /--folds must be ≥ 2/);
  assert.throws(() => select([], grid, { bins: 1 }), /no problems/);
});
