// report.md from what calibration measured: pure, so the text is tested without touching disk.
import { efficiency, percent, rounded, withCi } from "./format.ts";
import type { ReportInput } from "./input.ts";
import type { Plot } from "./plot.ts";

/** A table cell: a `|` in a label would end the cell early. */
const cell = (s: string | number) => String(s).replaceAll("|", "\\|").replaceAll("\n", " ");

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

export function reportMarkdown(input: ReportInput, plots: readonly Plot[]): string {
  const { dataset, samples } = input;
  const lines: string[] = [
    "# Calibration report",
    "",
    `- Dataset: \`${dataset.path}\`, ${dataset.problems} problems, sha256 \`${dataset.sha256}\``,
    `- Fleet: ${input.fleet}`,
    `- Budgets (generations per request): ${input.budgets.join(", ")}`,
    `- Selection: ${input.folds}-fold cross-validation; difficulty probe of ${input.probeSamples} samples`,
    `- Run: ${input.startedAt} to ${input.finishedAt}`,
    "",
    "## Difficulty bins",
    "",
    "Bin 1 is the easiest. A bin's threshold is its probe-score cut point towards the next bin.",
    "",
    table(
      ["bin", "threshold", "problems"],
      input.bins.map((b) => [
        b.bin,
        b.threshold === null ? "— (last bin)" : b.threshold,
        b.problems,
      ]),
    ),
    "",
    "## Chosen strategy per bin and budget",
    "",
    `Accuracy is ${input.folds}-fold cross-validated, with its 95% interval. Costs are means per request, the probe included.`,
    "",
    table(
      [
        "bin",
        "budget",
        "strategy",
        "CV accuracy",
        "proposer tokens",
        "verifier tokens",
        "backend calls",
      ],
      input.bins.flatMap((b) =>
        b.chosen.map((c) => [
          b.bin,
          c.budget,
          c.label,
          withCi(c.cvAccuracy, c.ci95),
          rounded(c.proposerTokens),
          rounded(c.verifierTokens),
          c.backendCalls.toFixed(1),
        ]),
      ),
    ),
    "",
    "## Compute-optimal against best-of-N",
    "",
    "Compute-optimal: the chosen strategy of each problem's bin, cross-validated, with the probe's generations charged.",
    "",
    table(
      ["budget", "generations (with probe)", "compute-optimal", "best-of-N"],
      input.overall.map((o) => [
        o.budget,
        o.generations.toFixed(1),
        withCi(o.optimal, o.optimalCi95),
        percent(o.bestOfN),
      ]),
    ),
    "",
    `**Efficiency: ${efficiency(input.efficiency)}**: best-of-N needs ${efficiency(input.efficiency)} the generations of compute-optimal for the same accuracy` +
      (input.efficiency.isLowerBound
        ? " (a lower bound: best-of-N did not reach that accuracy within the budgets run)."
        : "."),
    "",
    "## Samples",
    "",
    table(
      ["fresh", "from cache", "failed", "retried"],
      [[samples.fresh, samples.cached, samples.failed, samples.retried]],
    ),
    "",
    "## Plots",
    "",
    ...plots.flatMap((p) => [`### ${p.title}`, "", `![${p.title}](${p.file})`, ""]),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}
