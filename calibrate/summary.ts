// What a calibration tells its user: the report's input (report/input.ts) and the one-line JSON
// object of --json, both from the selection (select.ts) and what was measured.
import { binForScore } from "../router/engine/difficulty.ts";
import type { Dataset } from "./dataset.ts";
import type { Counts } from "./measure.ts";
import type { ProblemResult } from "./measurement.ts";
import type { ReportInput } from "./report/input.ts";
import type { Selection } from "./select.ts";

export interface SummaryInput {
  dataset: Pick<Dataset, "path" | "sha256"> & { problems: number };
  fleet: string; // e.g. "policy demo/compute-optimal" or the URLs
  probeSamples: number;
  results: readonly ProblemResult[];
  selection: Selection;
  counts: { probe: Counts; grid: Counts };
  startedAt: string;
  finishedAt: string;
}

export function totalCounts(counts: SummaryInput["counts"]): Counts {
  const { probe, grid } = counts;
  return {
    fresh: probe.fresh + grid.fresh,
    cached: probe.cached + grid.cached,
    failed: probe.failed + grid.failed,
    retried: probe.retried + grid.retried,
  };
}

export function reportInput(input: SummaryInput): ReportInput {
  const { selection: s } = input;
  const bins = s.bins.length;
  return {
    dataset: { ...input.dataset },
    fleet: input.fleet,
    budgets: [...s.budgets],
    folds: s.folds,
    probeSamples: input.probeSamples,
    bins: s.bins.map((b) => ({
      bin: b.bin,
      threshold: b.threshold,
      problems: b.problems,
      candidates: b.candidates.map((c) => ({
        label: c.label,
        strategy: c.strategy,
        budget: c.budget,
        generations: c.generations,
        accuracy: c.accuracy,
      })),
      chosen: b.chosen.map((c) => ({
        budget: c.budget,
        label: c.label,
        cvAccuracy: c.cvAccuracy,
        ci95: c.ci95,
        proposerTokens: c.proposerTokens,
        verifierTokens: c.verifierTokens,
        backendCalls: c.backendCalls,
      })),
    })),
    overall: s.overall.map((o) => ({
      budget: o.budget,
      generations: o.generations,
      optimal: o.optimal,
      optimalCi95: o.optimalCi95,
      bestOfN: o.bestOfN,
    })),
    efficiency: { value: s.efficiency.value, isLowerBound: s.efficiency.isLowerBound },
    difficulty: input.results.map((r) => ({
      problemId: r.id,
      probeScore: r.probeScore,
      oraclePass1: r.oraclePass1,
      bin: binForScore(r.probeScore, s.thresholds, bins),
    })),
    samples: totalCounts(input.counts),
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
  };
}

// --json: the figures a script compares runs by. Per-budget lists follow `budgets`.
export interface SummaryJson {
  budgets: number[];
  optimal: number[]; // CV accuracy of the table, probe charged, per budget
  optimalCi95: [number, number][];
  optimalGenerations: number[]; // mean generations per request, the probe included
  bestOfN: number[];
  bestOfNGenerations: number[];
  efficiency: number;
  efficiencyIsLowerBound: boolean;
  efficiencyBudget: number; // the budget the headline efficiency is at
  thresholds: number[];
  folds: number;
  problems: number; // measured
  dataset: { path: string; sha256: string; problems: number };
  samples: Counts;
  failedCells: number;
  bins: {
    bin: number;
    threshold: number | null;
    problems: number;
    chosen: {
      budget: number;
      label: string;
      strategy: string;
      beamWidth?: number;
      lookahead?: number;
      sequentialRatio?: number;
      cvAccuracy: number;
      ci95: [number, number];
      inSample: { label: string; accuracy: number };
      generations: number;
      proposerTokens: number;
      verifierTokens: number;
      backendCalls: number;
    }[];
  }[];
}

export function summaryJson(input: SummaryInput): SummaryJson {
  const { selection: s } = input;
  return {
    budgets: [...s.budgets],
    optimal: s.overall.map((o) => o.optimal),
    optimalCi95: s.overall.map((o) => o.optimalCi95),
    optimalGenerations: s.overall.map((o) => o.generations),
    bestOfN: s.overall.map((o) => o.bestOfN),
    bestOfNGenerations: s.overall.map((o) => o.bestOfNGenerations),
    efficiency: s.efficiency.value,
    efficiencyIsLowerBound: s.efficiency.isLowerBound,
    efficiencyBudget: s.efficiency.budget,
    thresholds: [...s.thresholds],
    folds: s.folds,
    problems: s.problems,
    dataset: { ...input.dataset },
    samples: totalCounts(input.counts),
    failedCells: s.failedCells,
    bins: s.bins.map((b) => ({
      bin: b.bin,
      threshold: b.threshold,
      problems: b.problems,
      chosen: b.chosen.map((c) => ({
        budget: c.budget,
        label: c.label,
        strategy: c.spec.strategy,
        ...(c.spec.beamWidth ? { beamWidth: c.spec.beamWidth } : {}),
        ...(c.spec.lookahead ? { lookahead: c.spec.lookahead } : {}),
        ...(c.spec.sequentialRatio !== undefined
          ? { sequentialRatio: c.spec.sequentialRatio }
          : {}),
        cvAccuracy: c.cvAccuracy,
        ci95: c.ci95,
        inSample: c.inSample,
        generations: c.generations,
        proposerTokens: c.proposerTokens,
        verifierTokens: c.verifierTokens,
        backendCalls: c.backendCalls,
      })),
    })),
  };
}
