import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultGrid } from "./grid.ts";
import type { ProblemResult } from "./measurement.ts";
import { reportMarkdown } from "./report/markdown.ts";
import { reportPlots } from "./report/write.ts";
import { select } from "./select.ts";
import { reportInput, type SummaryInput, summaryJson } from "./summary.ts";

const budgets = [4, 16];

function input(): SummaryInput {
  const grid = defaultGrid(budgets);
  // Easy half: best-of-N is right; hard half: only revision(seq=1/N) at N=16.
  const results = Array.from({ length: 20 }, (_, i): ProblemResult => {
    const easy = i < 10;
    return {
      id: `p${i}`,
      probeScore: easy ? 0.9 - i * 0.01 : 0.3 - i * 0.01,
      oraclePass1: i % 4 === 0 ? null : easy ? 0.9 : 0.1,
      cells: grid.map((c) => ({
        label: c.label,
        budget: c.budget,
        correct: easy ? c.label === "bestOfN" : c.label === "revision(seq=1/N)" && c.budget === 16,
        generations: c.budget,
        proposerTokens: c.budget * 100,
        verifierTokens: c.budget * 10,
        backendCalls: c.budget === 4 ? 2 : 5,
      })),
    };
  });
  const counts = (n: number) => ({ fresh: n, cached: 2 * n, failed: 0, retried: n % 2 });
  return {
    dataset: { path: "p.jsonl", sha256: "e".repeat(64), problems: 20 },
    fleet: "URLs",
    probeSamples: 4,
    results,
    selection: select(results, grid, { bins: 2 }),
    counts: { probe: counts(20), grid: counts(300) },
    startedAt: "2026-12-02T08:00:00Z",
    finishedAt: "2026-12-02T08:05:00Z",
  };
}

test("--json: per-budget figures, the efficiency and each bin's chosen config", () => {
  const json = summaryJson(input());
  assert.deepEqual(json.budgets, budgets);
  // Bin 1 (easy) best-of-N everywhere; bin 2 nothing at N=4, the N-parallel revision at 16.
  assert.deepEqual(json.optimal, [0.5, 1]);
  assert.deepEqual(json.bestOfN, [0.5, 0.5]);
  assert.deepEqual(json.optimalGenerations, [4, 16]);
  assert.equal(json.efficiencyIsLowerBound, true);
  assert.equal(json.efficiency, 1);
  assert.deepEqual(json.samples, { fresh: 320, cached: 640, failed: 0, retried: 0 });
  assert.deepEqual(
    json.bins.map((b) => [b.bin, b.problems, b.threshold === null]),
    [
      [1, 10, false],
      [2, 10, true],
    ],
  );
  const hard = json.bins[1]?.chosen[1];
  assert.deepEqual(
    hard && [hard.label, hard.strategy, hard.sequentialRatio, hard.cvAccuracy, hard.backendCalls],
    ["revision(seq=1/N)", "revision", 1 / 16, 1, 5],
  );
  assert.equal(json.bins[0]?.chosen[0]?.beamWidth, undefined);
  // One line of JSON.
  assert.equal(JSON.stringify(json).includes("\n"), false);
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
});

test("the report input renders: every bin, the headline, the probe against pass@1", () => {
  const report = reportInput(input());
  assert.equal(report.folds, 2);
  assert.equal(report.difficulty.length, 20);
  assert.deepEqual(
    report.difficulty.slice(0, 2).map((d) => [d.problemId, d.bin, d.oraclePass1]),
    [
      ["p0", 1, null],
      ["p1", 1, 0.9],
    ],
  );
  assert.equal(report.difficulty[19]?.bin, 2);
  assert.equal(report.bins[0]?.candidates.length, defaultGrid(budgets).length);
  assert.deepEqual(report.overall[1], {
    budget: 16,
    generations: 16,
    optimal: 1,
    optimalCi95: report.overall[1]?.optimalCi95,
    bestOfN: 0.5,
  });
  const md = reportMarkdown(report, reportPlots(report));
  assert.match(md, /revision\(seq=1\/N\)/);
  assert.match(md, /Efficiency/);
});
