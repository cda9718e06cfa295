// Calibration writes the compute-optimal table, as Snell et al. do: bin held-out problems by the
// probe's predicted difficulty (quantiles of the mean PRM score), run every candidate strategy at
// every budget, and keep per (bin, budget) the one that answered best. It uses its own problems,
// never the ones the demo scores.
import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { progressBar } from "../calibrate/progress.ts";
import {
  BinSnapshotSchema,
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
} from "../proto/gen/mull/v1/fleet_pb.ts";
import {
  Aggregation,
  Strategy,
  type StrategyConfigSchema,
} from "../proto/gen/mull/v1/router_pb.ts";
import { quantileThresholds } from "../router/engine/difficulty.ts";
import { strategyName } from "../router/engine/table.ts";
import { makeDataset } from "../sim/dataset.ts";
import type { Fleet } from "../sim/fleet.ts";
import { candidatePolicy, OPTIMAL } from "./policies.ts";
import { type BinRow, byBin } from "./report.ts";
import { serve } from "./serve.ts";
import { runWorkload } from "./workload.ts";

type Config = MessageInitShape<typeof StrategyConfigSchema>;

export interface CalibrationOptions {
  problems: number;
  seed: number;
  bins: number;
  budgets: readonly number[];
  defaultBudget: number;
  probeSamples: number;
  concurrency: number;
}

export const CALIBRATION_DEFAULTS: CalibrationOptions = {
  problems: 400,
  seed: 90_001,
  bins: 5,
  budgets: [8, 16, 64],
  defaultBudget: 16,
  probeSamples: 4,
  concurrency: 16,
};

// The search space per budget: every strategy, the tree searches at search-and-learn's beam
// width 4, and revisions from mostly-parallel to one long chain.
export function candidates(generations: number): Config[] {
  return [
    { strategy: Strategy.bestOfN, generations },
    { strategy: Strategy.majority, generations },
    { strategy: Strategy.beam, generations, beamWidth: 4 },
    { strategy: Strategy.dvts, generations, beamWidth: 4 },
    { strategy: Strategy.lookahead, generations, beamWidth: 4, lookahead: 1 },
    { strategy: Strategy.revision, generations, sequentialRatio: 0.25 },
    { strategy: Strategy.revision, generations, sequentialRatio: 0.5 },
    { strategy: Strategy.revision, generations, sequentialRatio: 1 },
  ];
}

export function describe(c: Config): string {
  const name = strategyName(c.strategy ?? 0) ?? "?";
  if (c.strategy === Strategy.revision) return `${name}(ratio ${c.sequentialRatio})`;
  if (c.beamWidth) return `${name}(M=${c.beamWidth}${c.lookahead ? `, k=${c.lookahead}` : ""})`;
  return name;
}

function basePolicy(options: CalibrationOptions, thresholds: number[]): PolicySnapshot {
  return create(PolicySnapshotSchema, {
    name: OPTIMAL,
    namespace: "demo",
    bins: options.bins,
    estimator: Estimator.probe,
    probeSamples: options.probeSamples,
    thresholds,
    defaultGenerations: options.defaultBudget,
    maxGenerations: Math.max(...options.budgets),
    aggregation: Aggregation.last,
    stepSeparator: "<extra_0>",
  });
}

export interface Calibration {
  policy: PolicySnapshot;
  // accuracy[budget][candidate] per bin, for the report.
  results: { generations: number; config: string; bins: BinRow[] }[];
}

export async function calibrate(fleet: Fleet, options: CalibrationOptions): Promise<Calibration> {
  const problems = makeDataset({ count: options.problems, seed: options.seed });
  const placeholder = Array.from({ length: options.bins - 1 }, (_, i) => (i + 1) / options.bins);
  const probePolicy = candidatePolicy(
    "probe",
    basePolicy(options, placeholder),
    { strategy: Strategy.bestOfN, generations: options.probeSamples },
    fleet,
  );
  const prober = await serve([probePolicy]);
  const scores: number[] = [];
  const probing = progressBar("probe difficulty", problems.length);
  try {
    for (const item of problems) {
      const r = await prober.client.estimateDifficulty({
        policy: "probe",
        prompt: item.problem,
        requestId: `calibrate-${item.id}`,
      });
      scores.push(r.difficultyScore);
      probing.tick();
    }
  } finally {
    probing.done();
    await prober.close();
  }
  const base = basePolicy(options, quantileThresholds(scores, options.bins));

  const grid = options.budgets.flatMap((generations) =>
    candidates(generations).map((config, i) => ({
      generations,
      config,
      name: `candidate-${generations}-${i}`,
    })),
  );
  const served = await serve(grid.map((g) => candidatePolicy(g.name, base, g.config, fleet)));
  const results: Calibration["results"] = [];
  try {
    for (const g of grid) {
      const outcomes = await runWorkload({
        client: served.client,
        policy: g.name,
        problems,
        // The same request ids for every candidate: the same probe samples and bins, so the
        // candidates are compared on equal terms.
        run: "calibrate",
        maxGenerations: g.generations,
        concurrency: options.concurrency,
        progress: progressBar(`N=${g.generations} ${describe(g.config)}`, problems.length),
      });
      results.push({
        generations: g.generations,
        config: describe(g.config),
        bins: byBin(outcomes),
      });
    }
  } finally {
    await served.close();
  }

  const table = clone(PolicySnapshotSchema, base);
  table.binTable = Array.from({ length: options.bins }, (_, i) => {
    const bin = i + 1;
    const levels = options.budgets.map((generations) => {
      const best = grid
        .map((g, j) => ({ g, row: results[j]?.bins.find((r) => r.bin === bin) }))
        .filter(({ g, row }) => g.generations === generations && row !== undefined)
        .sort(
          (a, b) =>
            (b.row?.accuracy ?? 0) - (a.row?.accuracy ?? 0) ||
            (a.row?.generationsPerProblem ?? 0) - (b.row?.generationsPerProblem ?? 0),
        )[0];
      return best?.g.config ?? { strategy: Strategy.bestOfN, generations };
    });
    return create(BinSnapshotSchema, { bin, levels });
  });
  return { policy: table, results };
}
