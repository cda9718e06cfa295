// The engine's serve path (probe charged, no difficulty hint) on a fleet through the sample
// cache, for the cache's and the fleet's tests: what measure.ts does per grid cell, without its
// bookkeeping.
import { create } from "@bufbuild/protobuf";
import { SolveRequestSchema } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import { makeDataset } from "../../sim/dataset.ts";
import type { SampleCache, Tally } from "../cache.ts";
import { calibrationPolicy, type StrategySpec } from "../engine-runs.ts";
import type { Fleet } from "../fleet.ts";
import { type RetryOptions, retryingProposer, retryingVerifier } from "../retry.ts";

export const problems = (count: number, seed = 7) => makeDataset({ count, seed });

export interface Served {
  answer: string;
  generations: number;
  proposerTokens: number;
  verifierTokens: number;
  backendCalls: number;
}

export async function serveAll(
  fleet: Fleet,
  cache: SampleCache,
  items: readonly { id: string; problem: string }[],
  budget: number,
  spec: StrategySpec = { label: "bestOfN", strategy: "bestOfN" },
  options: { signal?: AbortSignal; tally?: Tally; retry?: RetryOptions } = {},
): Promise<Served[]> {
  const engine = createEngine();
  const policy = calibrationPolicy(spec, {
    bins: 2,
    thresholds: [0.5],
    budgets: [budget],
    probeSamples: 4,
    formats: { prompt: fleet.policy.prompt, verifierFormat: fleet.policy.verifierFormat },
  });
  const signal = options.signal ?? new AbortController().signal;
  return Promise.all(
    items.map(async (item) => {
      const fleetBackends = fleet.forRequest()(1);
      const raw = options.retry
        ? {
            proposer: retryingProposer(fleetBackends.proposer, options.retry),
            verifier: retryingVerifier(fleetBackends.verifier, options.retry),
          }
        : fleetBackends;
      const backends = {
        proposer: cache.proposer(
          raw.proposer,
          { model: fleet.proposer.model, format: fleet.formats.proposer },
          options.tally,
        ),
        verifier: cache.verifier(
          raw.verifier,
          { model: fleet.verifier.model, format: fleet.formats.verifier },
          options.tally,
        ),
      };
      const response = await engine.solve(
        create(SolveRequestSchema, {
          policy: policy.name,
          prompt: item.problem,
          requestId: `calibrate/${item.id}`,
          budget: { maxGenerations: budget },
        }),
        {
          policy,
          backendsFor: () => backends,
          stepDelimiter: fleet.formats.proposer.stepDelimiter,
          signal,
          remainingMs: () => Number.POSITIVE_INFINITY,
        },
      );
      const u = response.usage;
      return {
        answer: response.answer,
        generations: u?.generations ?? 0,
        proposerTokens: Number(
          (u?.proposerPromptTokens ?? 0n) + (u?.proposerCompletionTokens ?? 0n),
        ),
        verifierTokens: Number(u?.verifierTokens ?? 0n),
        backendCalls: u?.backendCalls ?? 0,
      };
    }),
  );
}
