import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultGrid, parseBudgets, parseStrategies } from "./grid.ts";

const labelsAt = (budget: number, strategies?: string[]) =>
  defaultGrid([budget], strategies).map((c) => c.label);

test("the default grid at N=64 has every strategy of the issue", () => {
  assert.deepEqual(labelsAt(64), [
    "bestOfN",
    "majority",
    "beam(M=4)",
    "beam(M=√N)",
    "lookahead(k=1)",
    "lookahead(k=3)",
    "dvts(M=4)",
    "revision(seq=1)",
    "revision(seq=1/√N)",
    "revision(seq=1/N)",
  ]);
  const cells = defaultGrid([64]);
  const spec = (label: string) => cells.find((c) => c.label === label)?.spec;
  assert.deepEqual(spec("beam(M=√N)"), { label: "beam(M=√N)", strategy: "beam", beamWidth: 8 });
  assert.deepEqual(spec("lookahead(k=3)"), {
    label: "lookahead(k=3)",
    strategy: "lookahead",
    beamWidth: 4,
    lookahead: 3,
  });
  assert.equal(spec("revision(seq=1/√N)")?.sequentialRatio, 1 / 8);
  assert.equal(spec("revision(seq=1/N)")?.sequentialRatio, 1 / 64);
  assert.equal(spec("revision(seq=1)")?.sequentialRatio, 1);
});

test("variants that coincide at a budget run once, and invalid beam widths are skipped", () => {
  // N=16: √N = 4, the same beam as M=4.
  assert.ok(!labelsAt(16).includes("beam(M=√N)"));
  assert.ok(labelsAt(16).includes("beam(M=4)"));
  // N=2: no beam of width 4; the three revisions are two plans (one chain of 2; 2 × 1).
  assert.deepEqual(labelsAt(2), [
    "bestOfN",
    "majority",
    "beam(M=√N)",
    "revision(seq=1)",
    "revision(seq=1/N)",
  ]);
  // N=8: √8 rounds to 3, which does not divide 8.
  assert.ok(!labelsAt(8).includes("beam(M=√N)"));
});

test("cells are ordered by budget, and each carries its budget", () => {
  const grid = defaultGrid([64, 4]);
  assert.deepEqual([...new Set(grid.map((c) => c.budget))], [4, 64]);
  for (const cell of grid) assert.equal(cell.label, cell.spec.label);
});

test("--strategies narrows the grid to families and names other variants", () => {
  const names = parseStrategies("bestOfN, beam(M=8),revision(seq=1/2), dvts(M=√N), lookahead(k=2)");
  assert.deepEqual(labelsAt(64, names), [
    "bestOfN",
    "beam(M=8)",
    "revision(seq=0.5)",
    "dvts(M=√N)",
    "lookahead(k=2)",
  ]);
  assert.deepEqual(labelsAt(16, parseStrategies("revision")), [
    "revision(seq=1)",
    "revision(seq=1/√N)",
    "revision(seq=1/N)",
  ]);
});

test("--strategies refuses what it does not know, naming it", () => {
  assert.throws(() => parseStrategies("bestOfN,beem"), /unknown strategy "beem"/);
  assert.throws(() => parseStrategies("beam(k=3)"), /beam has no parameter k/);
  assert.throws(() => parseStrategies("revision(seq=2)"), /seq must be a fraction/);
  assert.throws(() => parseStrategies("beam(M=0)"), /not a whole number/);
  assert.throws(() => parseStrategies(" , "), /names no strategy/);
});

test("--budgets parses ascending positive budgets", () => {
  assert.deepEqual(parseBudgets("64,4, 16"), [4, 16, 64]);
  assert.throws(() => parseBudgets("4,x"), /got "x"/);
  assert.throws(() => parseBudgets("4,0"), /got "0"/);
  assert.throws(() => parseBudgets("4,4"), /repeats/);
});
