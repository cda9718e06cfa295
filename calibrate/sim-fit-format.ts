// The calibration report as markdown tables: overall accuracy against the published curves,
// the bins, accuracy per bin, and the published claims checked one by one.

import { PUBLISHED_BEAM, PUBLISHED_DVTS, PUBLISHED_WEIGHTED_BON } from "../sim/published.ts";
import type { CalibrationReport, StrategyRow } from "./sim-fit.ts";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)} pt`;

const PUBLISHED: Record<string, Record<number, number>> = {
  bestOfN: PUBLISHED_WEIGHTED_BON,
  "beam(M=4)": PUBLISHED_BEAM,
  "dvts(M=4)": PUBLISHED_DVTS,
};

export function row(r: CalibrationReport, label: string, n: number): StrategyRow | undefined {
  return r.rows.find((x) => x.label === label && x.n === n);
}

// The published claims (published.ts), each with whether the sim reproduces it.
export function claims(r: CalibrationReport): { claim: string; holds: boolean }[] {
  const bins = r.bins.length;
  const acc = (label: string, n: number, bin?: number) => {
    const x = row(r, label, n);
    return bin === undefined ? (x?.accuracy ?? 0) : (x?.perBin[bin - 1] ?? 0);
  };
  const large = r.budgets.filter((n) => n >= 64);
  const hard = [bins - 1, bins].filter((b) => b >= 1);
  const lead = (bin: number) =>
    r.budgets.reduce((s, n) => s + acc("beam(M=4)", n, bin) - acc("bestOfN", n, bin), 0);
  return [
    {
      claim: "easiest bin: beam search no better than best-of-N at N ≥ 64",
      holds: large.every((n) => acc("beam(M=4)", n, 1) <= acc("bestOfN", n, 1)),
    },
    {
      claim: "hardest two bins: beam search ahead of best-of-N at every N",
      holds: hard.every((b) =>
        r.budgets.every((n) => acc("beam(M=4)", n, b) > acc("bestOfN", n, b)),
      ),
    },
    {
      claim: "beam search's lead over best-of-N larger on the hardest bin than on the easiest",
      holds: lead(bins) > lead(1),
    },
    {
      claim: "DVTS ahead of beam search overall at N ≥ 64",
      holds: large.every((n) => acc("dvts(M=4)", n) > acc("beam(M=4)", n)),
    },
    {
      claim: "sequential revisions at least as good as best-of-N on bins 1–2, ahead somewhere",
      holds:
        [1, 2].every((b) =>
          r.budgets.every((n) => acc("revision(seq)", n, b) >= acc("bestOfN", n, b)),
        ) &&
        [1, 2].some((b) =>
          r.budgets.some((n) => acc("revision(seq)", n, b) > acc("bestOfN", n, b)),
        ),
    },
  ];
}

export function formatReport(r: CalibrationReport): string {
  const labels = [...new Set(r.rows.map((x) => x.label))];
  const lines = [
    `Calibration over ${r.problems} problems (engine strategies, in process). pass@1 ${pct(r.passAt1)}.`,
    "",
    "Overall accuracy against search-and-learn (Llama-3.2-1B-Instruct, MATH-500): best-of-N read off its plot (±3 pt), beam/DVTS targets from its text (±5 pt); see sim/README.md.",
    "",
    "| strategy | N | sim | published | difference |",
    "|---|---:|---:|---:|---:|",
    ...labels.flatMap((label) =>
      r.budgets.map((n) => {
        const sim = row(r, label, n)?.accuracy ?? 0;
        const published = PUBLISHED[label]?.[n];
        return `| ${label} | ${n} | ${pct(sim)} | ${published === undefined ? "-" : pct(published)} | ${
          published === undefined ? "-" : pts(sim - published)
        } |`;
      }),
    ),
    "",
    `Probe-score thresholds: ${r.thresholds.map((t) => t.toFixed(3)).join(", ")}`,
    "",
    "| bin | probe score | problems | mean latent difficulty | pass@1 | with a deceptive path |",
    "|---:|---|---:|---:|---:|---:|",
    ...r.bins.map(
      (b) =>
        `| ${b.bin} | [${b.from.toFixed(3)}, ${b.to.toFixed(3)}) | ${b.problems} | ${b.meanDifficulty.toFixed(2)} | ${pct(b.passAt1)} | ${pct(b.traps)} |`,
    ),
    "",
    "Accuracy per bin (bin 1 easiest):",
    "",
    `| strategy | N | ${r.bins.map((b) => `bin ${b.bin}`).join(" | ")} |`,
    `|---|---:|${r.bins.map(() => "---:").join("|")}|`,
    ...r.rows.map((x) => `| ${x.label} | ${x.n} | ${x.perBin.map(pct).join(" | ")} |`),
    "",
    "Published claims (blog per-level figures; Snell et al. 2024):",
    "",
    "| claim | sim |",
    "|---|---|",
    ...claims(r).map((c) => `| ${c.claim} | ${c.holds ? "holds" : "does not hold"} |`),
  ];
  return `${lines.join("\n")}\n`;
}
