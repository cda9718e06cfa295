// Runs the engine's real strategies (createEngine) against the in-process sim backends: the
// probe that bins a problem, and Solve with a chosen strategy and generation budget. A policy
// snapshot is built in code, as the operator would publish it, with one strategy at every level.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  BinSnapshotSchema,
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
} from "../proto/gen/mull/v1/fleet_pb.ts";
import {
  Aggregation,
  SolveRequestSchema,
  Strategy,
  StrategyConfigSchema,
} from "../proto/gen/mull/v1/router_pb.ts";
import type { SolveContext } from "../router/engine/api.ts";
import { binForScore } from "../router/engine/difficulty.ts";
import { createEngine, type Engine } from "../router/engine/engine.ts";
import type { StrategyName } from "../router/engine/table.ts";
import type { SimFormat } from "../sim/format.ts";
import type { ModelConfig } from "../sim/model-config.ts";
import { inProcessFleet } from "./in-process-fleet.ts";

// One strategy as calibration runs it: search-and-learn's beam width for the tree searches, the
// rollout depth of lookahead search, and the sequential fraction for revisions (1 = one chain of
// N attempts).
export interface StrategySpec {
  label: string;
  strategy: StrategyName;
  beamWidth?: number;
  lookahead?: number;
  sequentialRatio?: number;
}

export interface PolicyShape {
  bins: number;
  thresholds: number[];
  budgets: readonly number[];
  probeSamples: number;
  // The policy's formats (default: the router's built-in ones), and what the sim understands
  // (default: its built-in format, which matches them).
  formats?: Pick<MessageInitShape<typeof PolicySnapshotSchema>, "prompt" | "verifierFormat">;
  simFormats?: readonly SimFormat[];
}

export function calibrationPolicy(spec: StrategySpec, shape: PolicyShape): PolicySnapshot {
  const levels = [...shape.budgets]
    .sort((a, b) => a - b)
    .map((generations) =>
      create(StrategyConfigSchema, {
        strategy: Strategy[spec.strategy],
        generations,
        beamWidth: spec.beamWidth ?? 0,
        lookahead: spec.lookahead ?? 0,
        sequentialRatio: spec.sequentialRatio ?? 0,
      }),
    );
  return create(PolicySnapshotSchema, {
    name: `calibrate-${spec.label}`,
    namespace: "sim",
    bins: shape.bins,
    estimator: Estimator.probe,
    probeSamples: shape.probeSamples,
    thresholds: shape.thresholds,
    defaultGenerations: Math.min(...shape.budgets),
    maxGenerations: Math.max(...shape.budgets, shape.probeSamples),
    aggregation: Aggregation.last,
    ...shape.formats,
    binTable: Array.from({ length: shape.bins }, (_, i) =>
      create(BinSnapshotSchema, { bin: i + 1, levels }),
    ),
  });
}

export interface EngineRunner {
  // The probe's mean PRM score for a problem (the engine's difficulty estimate).
  probeScore(problem: string, requestId: string): Promise<number>;
  // The engine's answer with `spec` at `generations`, run on the pools of `bin`.
  solve(
    problem: string,
    requestId: string,
    spec: StrategySpec,
    generations: number,
    bin: number,
  ): Promise<string>;
  bin(score: number): number;
}

export function engineRunner(config: ModelConfig, shape: PolicyShape): EngineRunner {
  const engine: Engine = createEngine();
  const fleet = inProcessFleet(
    calibrationPolicy({ label: "formats", strategy: "bestOfN" }, shape),
    { config, ...(shape.simFormats ? { simFormats: shape.simFormats } : {}) },
  );
  const { formats } = fleet;
  const backends = fleet.forRequest()(1);
  const signal = new AbortController().signal;
  const context = (policy: PolicySnapshot): SolveContext => ({
    policy,
    backendsFor: () => backends,
    stepDelimiter: formats.proposer.stepDelimiter,
    signal,
    remainingMs: () => Number.POSITIVE_INFINITY,
  });
  const policies = new Map<string, PolicySnapshot>();
  const policyFor = (spec: StrategySpec) => {
    let policy = policies.get(spec.label);
    if (!policy) {
      policy = calibrationPolicy(spec, shape);
      policies.set(spec.label, policy);
    }
    return policy;
  };
  const probePolicy = calibrationPolicy({ label: "probe", strategy: "bestOfN" }, shape);
  return {
    async probeScore(problem, requestId) {
      const response = await engine.estimateDifficulty(
        create(SolveRequestSchema, {
          policy: probePolicy.name,
          prompt: problem,
          requestId,
          budget: { maxGenerations: shape.probeSamples },
        }),
        context(probePolicy),
      );
      return response.difficultyScore;
    },
    async solve(problem, requestId, spec, generations, bin) {
      const policy = policyFor(spec);
      // The bin is the probe's, passed as a hint: the strategy then gets all N generations
      // and its samples are independent of the probe's (as in Snell et al.'s evaluation).
      const response = await engine.solve(
        create(SolveRequestSchema, {
          policy: policy.name,
          prompt: problem,
          requestId,
          budget: { maxGenerations: generations },
          difficultyHint: bin,
        }),
        context(policy),
      );
      return response.answer;
    },
    bin: (score) => binForScore(score, shape.thresholds, shape.bins),
  };
}
