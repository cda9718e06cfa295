// Calibration of the simulated model: the engine's real strategies (createEngine) run in process
// against the sim (in-process.ts), on problems binned by the engine's own probe, next to the
// published curves they imitate (published.ts). Weighted best-of-N, beam search and DVTS
// (M = 4) and sequential revisions, at N = 4, 16, 64, 256, overall and per difficulty bin.
import { quantileThresholds } from "../router/engine/difficulty.ts";
import { judgeAnswer, makeDataset } from "../sim/dataset.ts";
import { DEFAULT_MODEL, type ModelConfig } from "../sim/model-config.ts";
import { problemFrom } from "../sim/problem.ts";
import { hash32, rngFrom } from "../sim/random.ts";
import { boxedAnswer, continueSolution } from "../sim/solution.ts";
import { engineRunner, type StrategySpec } from "./engine-runs.ts";

export const CALIBRATION_STRATEGIES: readonly StrategySpec[] = [
  { label: "bestOfN", strategy: "bestOfN" },
  { label: "beam(M=4)", strategy: "beam", beamWidth: 4 },
  { label: "dvts(M=4)", strategy: "dvts", beamWidth: 4 },
  // One chain of N revisions, each seeing the last 4 attempts (Snell et al.'s sequential end).
  { label: "revision(seq)", strategy: "revision", sequentialRatio: 1 },
];

export interface CalibrationOptions {
  problems?: number;
  seed?: number;
  config?: ModelConfig;
  budgets?: number[];
  probeSamples?: number;
  bins?: number;
  strategies?: readonly StrategySpec[];
  // Samples per problem for pass@1.
  passSamples?: number;
}

export interface BinRow {
  bin: number;
  // Probe mean-score range of the bin: [lower threshold, upper threshold).
  from: number;
  to: number;
  problems: number;
  meanDifficulty: number;
  passAt1: number;
  // Share of the bin's problems that have a deceptive path.
  traps: number;
}

export interface StrategyRow {
  label: string;
  n: number;
  accuracy: number;
  // Accuracy per bin, bin 1 (easiest) first.
  perBin: number[];
}

export interface CalibrationReport {
  problems: number;
  passAt1: number;
  // Probe-score thresholds between bins (bins − 1 values, increasing), as in fleet.proto:
  // bin = bins − |{t in thresholds : t <= score}|, so bin 1 is the easiest.
  thresholds: number[];
  bins: BinRow[];
  budgets: number[];
  rows: StrategyRow[];
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export async function calibrate(options: CalibrationOptions = {}): Promise<CalibrationReport> {
  const config = options.config ?? DEFAULT_MODEL;
  const budgets = options.budgets ?? [4, 16, 64, 256];
  const probeSamples = options.probeSamples ?? 4;
  const binCount = options.bins ?? 5;
  const strategies = options.strategies ?? CALIBRATION_STRATEGIES;
  const passSamples = options.passSamples ?? 16;
  const seed = options.seed ?? 1;
  const items = makeDataset({ count: options.problems ?? 500, seed, config });
  const shape = { bins: binCount, thresholds: [] as number[], budgets, probeSamples };

  // 1. The engine's probe on every problem; its quantiles are the bin thresholds (what
  //    calibration would write into the policy), and the engine bins by them.
  const prober = engineRunner(config, shape);
  const scores: number[] = [];
  for (const [p, item] of items.entries()) {
    scores.push(await prober.probeScore(item.problem, `probe-${seed}-${p}`));
  }
  shape.thresholds = quantileThresholds(scores, binCount);
  const runner = engineRunner(config, shape);
  const binOf = scores.map((s) => runner.bin(s));

  // 2. Every strategy at every budget on every problem, in its probe's bin.
  const correct = new Map<string, number[]>();
  for (const spec of strategies) {
    for (const n of budgets) {
      const results: number[] = [];
      for (const [p, item] of items.entries()) {
        const answer = await runner.solve(
          item.problem,
          `calibrate-${seed}-${p}-${spec.label}-${n}`,
          spec,
          n,
          binOf[p] ?? 1,
        );
        results.push(judgeAnswer(item.answer, answer) ? 1 : 0);
      }
      correct.set(`${spec.label}@${n}`, results);
    }
  }

  const problems = items.map((item, p) => {
    const problem = problemFrom(item.problem, config);
    let wins = 0;
    for (let i = 0; i < passSamples; i++) {
      const steps = continueSolution(problem, [], rngFrom(hash32(seed, p, "pass", i)), config);
      if (boxedAnswer(steps.at(-1) ?? "") === problem.answer) wins++;
    }
    return { problem, bin: binOf[p] ?? 1, passAt1: wins / passSamples };
  });
  const binNumbers = Array.from({ length: binCount }, (_, i) => i + 1);
  const bins = binNumbers.map((bin) => {
    const group = problems.filter((x) => x.bin === bin);
    // Bin b covers scores in [thresholds[bins - b - 1], thresholds[bins - b]).
    const k = binCount - bin;
    return {
      bin,
      from: k === 0 ? 0 : (shape.thresholds[k - 1] ?? 0),
      to: k === binCount - 1 ? 1 : (shape.thresholds[k] ?? 1),
      problems: group.length,
      meanDifficulty: mean(group.map((x) => x.problem.difficulty)),
      passAt1: mean(group.map((x) => x.passAt1)),
      traps: mean(group.map((x) => (x.problem.trap ? 1 : 0))),
    };
  });
  const rows = strategies.flatMap((spec) =>
    budgets.map((n) => {
      const results = correct.get(`${spec.label}@${n}`) ?? [];
      return {
        label: spec.label,
        n,
        accuracy: mean(results),
        perBin: binNumbers.map((bin) => mean(results.filter((_, p) => binOf[p] === bin))),
      };
    }),
  );
  return {
    problems: items.length,
    passAt1: mean(problems.map((x) => x.passAt1)),
    thresholds: shape.thresholds,
    bins,
    budgets,
    rows,
  };
}
