// Calibration of the simulated model, run in process against the model functions (no HTTP):
// weighted best-of-N accuracy against N next to the published curve it imitates, how cleanly
// probe-score bins separate easy from hard problems, and sequential revisions against parallel
// sampling per bin (the paper's core result: revisions win on easy problems, parallel
// sampling on hard ones).
import { extractAnswer, normalizeAnswer } from "../router/engine/answers.ts";
import { weightedVote } from "../router/engine/vote.ts";
import { makeDataset } from "./dataset.ts";
import { DEFAULT_MODEL, type ModelConfig } from "./model-config.ts";
import { stepScores } from "./prm.ts";
import { type Problem, problemFrom } from "./problem.ts";
import { hash32, rngFrom } from "./random.ts";
import { continueSolution } from "./solution.ts";

// Weighted best-of-N (PRM: Llama3.1-8B-PRM-Deepseek-Data, `last` aggregation) for
// Llama-3.2-1B-Instruct on MATH-500, read off the best-of-N figure of Hugging Face's "Scaling
// test-time compute with open models" (search-and-learn, Dec 2024). The figure is a plot, not a
// table, so these are approximate (about ±0.03); N=1 agrees with Meta's 30.6% MATH (CoT) for
// the model.
export const PUBLISHED_WEIGHTED_BON: Record<number, number> = {
  1: 0.3,
  4: 0.38,
  16: 0.44,
  64: 0.48,
  256: 0.5,
};

export interface CalibrationOptions {
  problems?: number;
  seed?: number;
  config?: ModelConfig;
  budgets?: number[];
  probeSamples?: number;
  bins?: number;
  // Budgets at which sequential revisions are compared with parallel sampling.
  revisionBudgets?: number[];
}

export interface CurvePoint {
  n: number;
  accuracy: number;
  published: number | undefined;
}

export interface BinRow {
  bin: number;
  // Probe mean-score range of the bin: [lower threshold, upper threshold).
  from: number;
  to: number;
  problems: number;
  meanDifficulty: number;
  passAt1: number;
}

export interface RevisionRow {
  bin: number;
  budget: number;
  parallel: number;
  sequential: number;
}

export interface CalibrationReport {
  problems: number;
  curve: CurvePoint[];
  // Probe-score thresholds between bins (bins - 1 values, increasing), as in fleet.proto:
  // bin = bins - |{t in thresholds : t <= score}|, so bin 1 is the easiest.
  thresholds: number[];
  bins: BinRow[];
  revision: RevisionRow[];
}

interface Sample {
  answer: string;
  score: number;
  correct: boolean;
  text: string;
}

// Sequential revisions see at most this many earlier attempts, as in Snell et al.
const REVISION_WINDOW = 4;

function draw(
  problem: Problem,
  seed: number,
  config: ModelConfig,
  attempts: readonly string[] = [],
): Sample {
  const steps = continueSolution(problem, [], rngFrom(seed), config, attempts);
  const text = steps.join("\n\n");
  const answer = normalizeAnswer(extractAnswer(text));
  return {
    answer,
    score: stepScores(problem, steps, config).at(-1) ?? 0,
    correct: answer === normalizeAnswer(problem.answer),
    text,
  };
}

function bonCorrect(samples: readonly Sample[], truth: string): boolean {
  return weightedVote(samples.map((s) => ({ answer: s.answer, weight: s.score }))).answer === truth;
}

// Weighted best-of-N accuracy of one problem, averaged over disjoint groups of N samples.
function groupAccuracy(samples: readonly Sample[], n: number, truth: string): number {
  const groups = Math.floor(samples.length / n);
  let wins = 0;
  for (let g = 0; g < groups; g++) {
    if (bonCorrect(samples.slice(g * n, (g + 1) * n), truth)) wins++;
  }
  return wins / groups;
}

function sequentialCorrect(
  problem: Problem,
  budget: number,
  seed: number,
  config: ModelConfig,
): boolean {
  const chain: Sample[] = [];
  for (let i = 0; i < budget; i++) {
    const attempts = chain.slice(-REVISION_WINDOW).map((s) => s.text);
    chain.push(draw(problem, hash32(seed, "revision", i), config, attempts));
  }
  return bonCorrect(chain, normalizeAnswer(problem.answer));
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function calibrate(options: CalibrationOptions = {}): CalibrationReport {
  const config = options.config ?? DEFAULT_MODEL;
  const budgets = options.budgets ?? [1, 4, 16, 64, 256];
  const probeSamples = options.probeSamples ?? 4;
  const binCount = options.bins ?? 5;
  const revisionBudgets = options.revisionBudgets ?? [4, 16];
  const seed = options.seed ?? 1;
  const samplesPer = Math.max(...budgets, ...revisionBudgets);
  const items = makeDataset({ count: options.problems ?? 500, seed, config });

  const perProblem = items.map((item, p) => {
    const problem = problemFrom(item.problem, config);
    const samples = Array.from({ length: samplesPer }, (_, i) =>
      draw(problem, hash32(seed, p, i), config),
    );
    // The probe is separate from the samples so it does not bias what it is compared with.
    const probe = Array.from({ length: probeSamples }, (_, i) =>
      draw(problem, hash32(seed, p, "probe", i), config),
    );
    return { problem, samples, probeScore: mean(probe.map((s) => s.score)) };
  });

  const curve = budgets.map((n) => ({
    n,
    accuracy: mean(
      perProblem.map((x) => groupAccuracy(x.samples, n, normalizeAnswer(x.problem.answer))),
    ),
    published: PUBLISHED_WEIGHTED_BON[n],
  }));

  // Quintiles (for 5 bins) of the probe score, numbered as in fleet.proto: bin 1 holds the
  // highest scores (the easiest), bin `bins` the lowest.
  const sorted = perProblem.map((x) => x.probeScore).sort((a, b) => a - b);
  const thresholds = Array.from({ length: binCount - 1 }, (_, i) => {
    return sorted[Math.floor(((i + 1) * sorted.length) / binCount)] ?? 1;
  });
  const binOf = (score: number) => binCount - thresholds.filter((t) => t <= score).length;
  const binNumbers = Array.from({ length: binCount }, (_, i) => i + 1);
  const members = binNumbers.map((b) => perProblem.filter((x) => binOf(x.probeScore) === b));

  const bins = members.map((group, i) => {
    const bin = i + 1;
    // Bin b covers scores in [thresholds[bins - b - 1], thresholds[bins - b]).
    const k = binCount - bin;
    return {
      bin,
      from: k === 0 ? 0 : (thresholds[k - 1] ?? 0),
      to: k === binCount - 1 ? 1 : (thresholds[k] ?? 1),
      problems: group.length,
      meanDifficulty: mean(group.map((x) => x.problem.difficulty)),
      passAt1: mean(group.map((x) => mean(x.samples.map((s) => (s.correct ? 1 : 0))))),
    };
  });

  const revision: RevisionRow[] = [];
  for (const budget of revisionBudgets) {
    const repeats = Math.max(1, Math.floor(64 / budget));
    members.forEach((group, i) => {
      const bin = i + 1;
      const parallel = mean(
        group.map((x) => groupAccuracy(x.samples, budget, normalizeAnswer(x.problem.answer))),
      );
      const sequential = mean(
        group.flatMap((x, p) =>
          Array.from({ length: repeats }, (_, r) =>
            sequentialCorrect(x.problem, budget, hash32(seed, bin, p, r), config) ? 1 : 0,
          ),
        ),
      );
      revision.push({ bin, budget, parallel, sequential });
    });
  }
  return { problems: items.length, curve, thresholds, bins, revision };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatReport(r: CalibrationReport): string {
  const lines = [
    `Calibration over ${r.problems} problems`,
    "",
    "| N | sim weighted BoN | published (approx.) | difference |",
    "|---:|---:|---:|---:|",
    ...r.curve.map(
      (c) =>
        `| ${c.n} | ${pct(c.accuracy)} | ${c.published === undefined ? "-" : pct(c.published)} | ${
          c.published === undefined ? "-" : `${((c.accuracy - c.published) * 100).toFixed(1)} pt`
        } |`,
    ),
    "",
    `Probe-score thresholds: ${r.thresholds.map((t) => t.toFixed(3)).join(", ")}`,
    "",
    "| bin | probe score | problems | mean latent difficulty | pass@1 |",
    "|---:|---|---:|---:|---:|",
    ...r.bins.map(
      (b) =>
        `| ${b.bin} | [${b.from.toFixed(3)}, ${b.to.toFixed(3)}) | ${b.problems} | ${b.meanDifficulty.toFixed(2)} | ${pct(b.passAt1)} |`,
    ),
    "",
    "| bin | budget | parallel (weighted BoN) | sequential revisions | winner |",
    "|---:|---:|---:|---:|---|",
    ...r.revision.map(
      (x) =>
        `| ${x.bin} | ${x.budget} | ${pct(x.parallel)} | ${pct(x.sequential)} | ${
          x.sequential > x.parallel ? "sequential" : x.sequential < x.parallel ? "parallel" : "tie"
        } |`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
