// Calibration of the simulated model: measure.ts, the calibration's measuring path, runs the
// engine's real strategies against the sim in process (in-process-fleet.ts), on problems binned
// by the engine's own probe, next to the published curves they imitate (published.ts). Weighted
// best-of-N, beam search and DVTS (M = 4) and sequential revisions, at N = 4, 16, 64, 256,
// overall and per difficulty bin. It picks no table: it measures with the published curves'
// protocol (the probe's bin as a hint, the strategy given all N), to check the sim's model.

import { binForScore } from "../router/engine/difficulty.ts";
import { makeDataset } from "../sim/dataset.ts";
import { DEFAULT_MODEL, type ModelConfig } from "../sim/model-config.ts";
import { problemFrom } from "../sim/problem.ts";
import { calibrationPolicy, type StrategySpec } from "./engine-runs.ts";
import type { GridCell } from "./grid.ts";
import { inProcessFleet } from "./in-process-fleet.ts";
import { measureProblems } from "./measure.ts";

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
  const items = makeDataset({ count: options.problems ?? 500, seed: options.seed ?? 1, config });
  const policy = calibrationPolicy(
    { label: "sim", strategy: "bestOfN" },
    { bins: binCount, thresholds: [], budgets, probeSamples },
  );
  const grid: GridCell[] = strategies.flatMap((spec) =>
    budgets.map((budget) => ({ label: spec.label, budget, spec })),
  );
  const measured = await measureProblems({
    problems: items,
    fleet: inProcessFleet(policy, { config }),
    grid,
    bins: binCount,
    probeSamples,
    oracleSamples: options.passSamples ?? 16,
    concurrency: 4,
    hinted: true,
    maxFailureRate: 0,
  });
  const { thresholds } = measured;
  const texts = new Map(items.map((item) => [item.id, item.problem]));
  const measuredProblems = measured.problems.map((r) => ({
    result: r,
    problem: problemFrom(texts.get(r.id) ?? "", config),
    bin: binForScore(r.probeScore, thresholds, binCount),
  }));
  const binNumbers = Array.from({ length: binCount }, (_, i) => i + 1);
  const bins = binNumbers.map((bin) => {
    const group = measuredProblems.filter((x) => x.bin === bin);
    // Bin b covers scores in [thresholds[bins - b - 1], thresholds[bins - b]).
    const k = binCount - bin;
    return {
      bin,
      from: k === 0 ? 0 : (thresholds[k - 1] ?? 0),
      to: k === binCount - 1 ? 1 : (thresholds[k] ?? 1),
      problems: group.length,
      meanDifficulty: mean(group.map((x) => x.problem.difficulty)),
      passAt1: mean(group.map((x) => x.result.oraclePass1 ?? 0)),
      traps: mean(group.map((x) => (x.problem.trap ? 1 : 0))),
    };
  });
  const correct = (label: string, n: number, bin?: number) =>
    mean(
      measuredProblems
        .filter((x) => bin === undefined || x.bin === bin)
        .map((x) => {
          const cell = x.result.cells.find((c) => c.label === label && c.budget === n);
          return cell?.correct ? 1 : 0;
        }),
    );
  const rows = strategies.flatMap((spec) =>
    budgets.map((n) => ({
      label: spec.label,
      n,
      accuracy: correct(spec.label, n),
      perBin: binNumbers.map((bin) => correct(spec.label, n, bin)),
    })),
  );
  return {
    problems: items.length,
    passAt1: mean(measuredProblems.map((x) => x.result.oraclePass1 ?? 0)),
    thresholds,
    bins,
    budgets,
    rows,
  };
}
