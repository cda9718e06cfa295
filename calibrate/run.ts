// One calibration, from a dataset and a fleet to the chosen table: measure every problem on the
// serve path (measure.ts, through the sample cache), then pick per (bin, budget) by k-fold
// cross-validation (select.ts). The CLI, the demo and the bench all run this; they differ only in
// where the dataset and the fleet come from and what they write.
import type { EngineOptionsInput } from "../router/engine/options.ts";
import { type CacheStats, SampleCache } from "./cache.ts";
import type { Dataset } from "./dataset.ts";
import type { Fleet } from "./fleet.ts";
import type { GridCell } from "./grid.ts";
import { type Measured, type MeasureProgress, measureProblems } from "./measure.ts";
import { type Selection, select } from "./select.ts";

export interface CalibrationRun {
  dataset: Dataset;
  fleet: Fleet;
  grid: readonly GridCell[];
  bins: number;
  folds: number;
  probeSamples: number;
  oracleSamples: number;
  concurrency: number;
  // The sample cache's directory; absent: every call goes to the fleet.
  cacheDir?: string;
  signal?: AbortSignal;
  maxFailureRate?: number;
  engine?: EngineOptionsInput;
  onProgress?: (progress: MeasureProgress) => void;
}

export interface Calibration {
  measured: Measured;
  selection: Selection;
  cache: CacheStats | undefined;
  startedAt: Date;
  finishedAt: Date;
}

export async function runCalibration(run: CalibrationRun): Promise<Calibration> {
  const startedAt = new Date();
  const cache = run.cacheDir === undefined ? undefined : new SampleCache(run.cacheDir);
  try {
    const measured = await measureProblems({
      problems: run.dataset.problems,
      fleet: run.fleet,
      ...(cache ? { cache } : {}),
      grid: run.grid,
      bins: run.bins,
      probeSamples: run.probeSamples,
      oracleSamples: run.oracleSamples,
      concurrency: run.concurrency,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.maxFailureRate !== undefined ? { maxFailureRate: run.maxFailureRate } : {}),
      ...(run.engine ? { engine: run.engine } : {}),
      ...(run.onProgress ? { onProgress: run.onProgress } : {}),
    });
    const selection = select(measured.problems, run.grid, {
      bins: run.bins,
      folds: run.folds,
      thresholds: measured.thresholds,
    });
    return {
      measured,
      selection,
      cache: cache ? structuredClone(cache.stats) : undefined,
      startedAt,
      finishedAt: new Date(),
    };
  } finally {
    cache?.close();
  }
}
