import assert from "node:assert/strict";
import { test } from "node:test";
import type { ReportInput } from "./input.ts";
import { accuracyPlots } from "./plot-accuracy.ts";
import { difficultyPlot } from "./plot-difficulty.ts";
import { bestOfNSeries, optimalPlot, optimalSeries } from "./plot-optimal.ts";
import { renderSvg } from "./render.ts";
import { degenerateInput, reportInput } from "./testing/report-input.ts";
import { parseSvg } from "./testing/svg.ts";

const unique = <T>(xs: readonly T[]) => [...new Set(xs)];

async function checkAccuracy(input: ReportInput) {
  const plots = accuracyPlots(input);
  assert.deepEqual(
    plots.map((p) => p.file),
    input.bins.map((b) => `accuracy-bin-${b.bin}.svg`),
  );
  for (const [i, plot] of plots.entries()) {
    const bin = input.bins[i];
    assert.ok(bin);
    const svg = parseSvg(await renderSvg(plot.spec));
    assert.deepEqual(svg.texts("axis-title").sort(), ["accuracy", "generations per request"]);
    assert.match(svg.texts("title-text").join(), new RegExp(`^Bin ${bin.bin}:`));
    const labels = unique(bin.candidates.map((c) => c.label));
    assert.equal(svg.marks("strategies").length, labels.length, "one line per strategy");
    assert.equal(svg.marks("measurements").length, bin.candidates.length, "one point per run");
    assert.deepEqual(svg.texts("legend-label").sort(), [...labels].sort());
  }
}

async function checkOptimal(input: ReportInput) {
  const svg = parseSvg(await renderSvg(optimalPlot(input).spec));
  assert.deepEqual(svg.texts("axis-title").sort(), ["accuracy", "generations per request"]);
  assert.equal(svg.marks("curves").length, 2, "compute-optimal and best-of-N");
  assert.equal(svg.marks("budgets").length, 2 * input.overall.length, "one point per budget each");
  assert.equal(svg.marks("intervals").length, input.overall.length, "one CI bar per budget");
  assert.deepEqual(svg.texts("legend-label").sort(), [bestOfNSeries, optimalSeries].sort());
}

test("accuracy plots: one per bin, a line per strategy and a point per (strategy, budget)", async () => {
  await checkAccuracy(reportInput());
});

test("optimal plot: both curves, a point per budget, compute-optimal's intervals", async () => {
  await checkOptimal(reportInput());
});

test("compute-optimal above best-of-N in the data is drawn above it", async () => {
  const input = reportInput();
  const svg = parseSvg(await renderSvg(optimalPlot(input).spec));
  // Each point is translate(x,y), y growing downwards, filled with its series' legend colour.
  const colour = new Map(
    svg
      .texts("legend-label")
      .map((label, i) => [svg.items("legend-symbol")[i]?.getAttribute("fill"), label]),
  );
  const ys = (series: string) =>
    svg
      .marks("budgets")
      .filter((p) => colour.get(p.getAttribute("fill")) === series)
      .map((p) =>
        Number(/translate\([^,]+,([^)]+)\)/.exec(p.getAttribute("transform") ?? "")?.[1]),
      );
  const [optimal, bestOfN] = [ys(optimalSeries), ys(bestOfNSeries)];
  assert.equal(optimal.length, 3);
  assert.equal(bestOfN.length, 3);
  for (let i = 0; i < 3; i++) assert.ok((optimal[i] ?? 0) < (bestOfN[i] ?? 0), `budget ${i}`);
});

test("difficulty plot: a point per problem with an oracle pass@1, a line per threshold", async () => {
  const input = reportInput();
  const plot = difficultyPlot(input);
  const svg = parseSvg(await renderSvg(plot.spec));
  assert.deepEqual(svg.texts("axis-title").sort(), [
    "oracle pass@1",
    "probe score (mean PRM score of 4 samples)",
  ]);
  const measured = input.difficulty.filter((d) => d.oraclePass1 !== null).length;
  assert.equal(measured, 216);
  assert.equal(svg.marks("problems").length, measured);
  assert.equal(svg.marks("thresholds").length, 2);
  assert.deepEqual(svg.texts("legend-label").sort(), ["1", "2", "3"]);
  assert.match(svg.texts("title-subtitle").join(), /24 without oracle pass@1/);
});

test("degenerate input: one bin, one budget, no oracle pass@1 still renders every plot", async () => {
  const input = degenerateInput();
  await checkAccuracy(input);
  await checkOptimal(input);
  const svg = parseSvg(await renderSvg(difficultyPlot(input).spec));
  assert.deepEqual(svg.texts("axis-title").sort(), [
    "bin",
    "probe score (mean PRM score of 2 samples)",
  ]);
  assert.equal(svg.marks("problems").length, 3, "every problem, by its bin");
  assert.equal(svg.marks("thresholds").length, 0, "one bin has no threshold");
  assert.match(svg.texts("title-text").join(), /no oracle pass@1/);
});

test("the SVG parser refuses a document that is not well-formed XML", () => {
  assert.throws(() => parseSvg('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'));
});
