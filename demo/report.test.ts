import assert from "node:assert/strict";
import { test } from "node:test";
import { accuracyAtGenerations, byBin, generationsForAccuracy, summarize } from "./report.ts";
import type { Outcome } from "./workload.ts";

const outcome = (
  bin: number,
  strategy: string,
  generations: number,
  correct: boolean,
): Outcome => ({
  id: `${bin}-${strategy}-${generations}-${correct}`,
  bin,
  strategy,
  generations,
  correct,
  stoppedEarly: generations < 16,
});

test("summarize counts accuracy, mean generations and early stops", () => {
  const s = summarize([outcome(1, "revision", 8, true), outcome(2, "beam", 16, false)]);
  assert.deepEqual(s, { problems: 2, accuracy: 0.5, generationsPerProblem: 12, stoppedEarly: 1 });
  assert.deepEqual(summarize([]), {
    problems: 0,
    accuracy: 0,
    generationsPerProblem: 0,
    stoppedEarly: 0,
  });
});

test("byBin groups by bin in order and names the most common strategy", () => {
  const rows = byBin([
    outcome(3, "beam", 16, false),
    outcome(1, "revision", 16, true),
    outcome(3, "beam", 16, true),
    outcome(3, "bestOfN", 16, true),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.bin, r.strategy, r.problems, r.accuracy]),
    [
      [1, "revision", 1, 1],
      [3, "beam", 3, 2 / 3],
    ],
  );
});

const curve = [
  { generations: 1, accuracy: 0.3 },
  { generations: 4, accuracy: 0.4 },
  { generations: 16, accuracy: 0.5 },
];

test("generationsForAccuracy interpolates on a log scale between measured budgets", () => {
  assert.equal(generationsForAccuracy(curve, 0.4), 4);
  assert.equal(generationsForAccuracy(curve, 0.2), 1);
  assert.ok(Math.abs((generationsForAccuracy(curve, 0.45) ?? 0) - 8) < 1e-9);
  assert.equal(generationsForAccuracy(curve, 0.6), undefined);
});

test("accuracyAtGenerations is the inverse on the same log scale, clamped at the ends", () => {
  assert.ok(Math.abs(accuracyAtGenerations(curve, 8) - 0.45) < 1e-9);
  assert.equal(accuracyAtGenerations(curve, 1), 0.3);
  assert.equal(accuracyAtGenerations(curve, 64), 0.5);
  assert.equal(accuracyAtGenerations([], 4), 0);
});
