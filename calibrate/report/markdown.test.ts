import assert from "node:assert/strict";
import { test } from "node:test";
import { reportMarkdown } from "./markdown.ts";
import { degenerateInput, reportInput } from "./testing/report-input.ts";
import { reportPlots } from "./write.ts";

/** The cells of the markdown table rows that start with the given cells. */
function rows(md: string, ...first: (string | number)[]): string[][] {
  return md
    .split("\n")
    .filter((l) => l.startsWith("| "))
    .map((l) =>
      l
        .slice(2, -2)
        .split(" | ")
        .map((c) => c.trim()),
    )
    .filter((cells) => first.every((f, i) => cells[i] === String(f)));
}

test("report.md: the dataset, its hash and the fleet", () => {
  const input = reportInput();
  const md = reportMarkdown(input, reportPlots(input));
  assert.match(md, /^# Calibration report\n/);
  assert.ok(
    md.includes(`\`${input.dataset.path}\`, 240 problems, sha256 \`${input.dataset.sha256}\``),
  );
  assert.ok(md.includes("Fleet: policy demo/compute-optimal"));
  assert.ok(md.includes("Budgets (generations per request): 4, 16, 64"));
  assert.ok(md.includes("2-fold cross-validation; difficulty probe of 4 samples"));
  assert.ok(md.includes("2026-12-02T01:00:00Z to 2026-12-02T01:42:10Z"));
});

test("report.md: every bin with its threshold and problems", () => {
  const input = reportInput();
  const md = reportMarkdown(input, []);
  assert.deepEqual(rows(md, 1, "0.6182"), [["1", "0.6182", "80"]]);
  assert.deepEqual(rows(md, 2, "0.5237"), [["2", "0.5237", "80"]]);
  assert.deepEqual(rows(md, 3, "— (last bin)"), [["3", "— (last bin)", "80"]]);
});

test("report.md: the chosen table has every (bin, budget) with CV accuracy, CI and costs", () => {
  const input = reportInput();
  const md = reportMarkdown(input, []);
  for (const bin of input.bins) {
    for (const c of bin.chosen) {
      const found = rows(md, bin.bin, c.budget, c.label);
      assert.equal(found.length, 1, `bin ${bin.bin} budget ${c.budget}`);
      const [, , , accuracy, proposer, verifier, calls] = found[0] ?? [];
      assert.equal(
        accuracy,
        `${(c.cvAccuracy * 100).toFixed(1)}% (95% CI ${(c.ci95[0] * 100).toFixed(1)}–${(c.ci95[1] * 100).toFixed(1)}%)`,
      );
      assert.equal(proposer, c.proposerTokens.toLocaleString("en-US"));
      assert.equal(verifier, c.verifierTokens.toLocaleString("en-US"));
      assert.equal(calls, c.backendCalls.toFixed(1));
    }
  }
  assert.deepEqual(rows(md, 2, 16, "revision 1:N")[0]?.slice(3), [
    "42.5% (95% CI 32.5–50.5%)",
    "4,802",
    "5,602",
    "34.0",
  ]);
});

test("report.md: compute-optimal against best-of-N per budget, and the efficiency", () => {
  const input = reportInput();
  const md = reportMarkdown(input, []);
  assert.deepEqual(rows(md, 4, "8.0"), [["4", "8.0", "55.0% (95% CI 50.0–60.0%)", "41.0%"]]);
  assert.deepEqual(rows(md, 16, "20.0"), [["16", "20.0", "59.0% (95% CI 54.0–64.0%)", "46.0%"]]);
  assert.deepEqual(rows(md, 64, "68.0"), [["64", "68.0", "63.0% (95% CI 58.0–68.0%)", "51.0%"]]);
  assert.match(md, /\*\*Efficiency: ≥ 4\.3×\*\*.*a lower bound/);

  const exact = reportMarkdown({ ...input, efficiency: { value: 16, isLowerBound: false } }, []);
  assert.match(exact, /\*\*Efficiency: 16\.0×\*\*/);
  assert.doesNotMatch(exact, /≥|lower bound/);
});

test("report.md: sample counts and a link to every plot", () => {
  const input = reportInput();
  const plots = reportPlots(input);
  const md = reportMarkdown(input, plots);
  assert.deepEqual(rows(md, 51234), [["51234", "1020", "3", "17"]]);
  assert.equal(plots.length, 5);
  for (const p of plots) assert.ok(md.includes(`![${p.title}](${p.file})`), p.file);
});

test("report.md: a | in a label stays inside its cell", () => {
  const input = degenerateInput();
  const chosen = input.bins[0]?.chosen[0];
  assert.ok(chosen);
  chosen.label = "revision 4|1";
  const md = reportMarkdown(input, []);
  assert.ok(md.includes("| 1 | 4 | revision 4\\|1 | 33.3% (95% CI 6.0–79.0%) | 812 | 0 | 4.0 |"));
});
