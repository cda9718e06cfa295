import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { calibrate, formatReport } from "./calibrate.ts";

// A small run (the full one is `mull sim --calibrate`); fixed seeds make it deterministic.
describe("calibrate", () => {
  const report = calibrate({ problems: 300, budgets: [1, 4, 16], revisionBudgets: [4], seed: 1 });

  it("has weighted best-of-N accuracy rising with N, near the published curve", () => {
    const [one, four, sixteen] = report.curve.map((c) => c.accuracy);
    assert.ok(one !== undefined && four !== undefined && sixteen !== undefined);
    assert.ok(four > one && sixteen > four, report.curve.map((c) => c.accuracy).join(", "));
    for (const point of report.curve) {
      assert.ok(point.published !== undefined);
      assert.ok(
        Math.abs(point.accuracy - point.published) < 0.1,
        `N=${point.n}: ${point.accuracy}`,
      );
    }
  });

  it("separates probe-score bins from hard to easy", () => {
    const passes = report.bins.map((b) => b.passAt1);
    assert.equal(report.bins.length, 5);
    // Bin 1 is the easiest, bin 5 the hardest, as in fleet.proto.
    assert.deepEqual(
      report.bins.map((b) => b.bin),
      [1, 2, 3, 4, 5],
    );
    assert.ok((passes[0] ?? 0) > 0.5 && (passes[4] ?? 1) < 0.15, passes.join(", "));
    assert.ok((passes[0] ?? 0) > (passes[2] ?? 1) && (passes[2] ?? 0) > (passes[4] ?? 1));
    const difficulty = report.bins.map((b) => b.meanDifficulty);
    assert.ok((difficulty[4] ?? 0) > (difficulty[0] ?? 1));
    for (let i = 1; i < report.thresholds.length; i++) {
      assert.ok((report.thresholds[i] ?? 0) > (report.thresholds[i - 1] ?? 1));
    }
  });

  it("has sequential revisions winning on the easiest bin and parallel sampling on the hardest", () => {
    const easy = report.revision.find((r) => r.bin === 1);
    const hard = report.revision.find((r) => r.bin === 5);
    assert.ok(easy && hard);
    assert.ok(easy.sequential > easy.parallel, JSON.stringify(easy));
    assert.ok(hard.parallel > hard.sequential, JSON.stringify(hard));
  });

  it("formats the tables as markdown", () => {
    const text = formatReport(report);
    assert.match(text, /\| N \| sim weighted BoN \| published/);
    assert.match(text, /\| bin \| budget \| parallel/);
  });
});
