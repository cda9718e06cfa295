// The engine's entry points: Solve and EstimateDifficulty (see api.ts). One request goes:
// validate → difficulty (probe on the bin-0 pools, or the client's hint) → table lookup by
// (bin, budget level) → the strategy on the bin's pools → SolveResponse. No I/O happens here:
// backends come from the context, and so do the deadline and the event sink.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Estimator, type PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import {
  CandidateSchema,
  EstimateDifficultyResponseSchema,
  type SolveRequest,
  type SolveResponse,
  SolveResponseSchema,
} from "../../proto/gen/mull/v1/router_pb.ts";
import { aggregationName } from "./aggregate.ts";
import type { EstimateDifficulty, Solve, SolveContext } from "./api.ts";
import type { ScoredCandidate } from "./candidate.ts";
import { binForScore, checkHint, probe } from "./difficulty.ts";
import { EngineError, invalidArgument } from "./errors.ts";
import { type EngineOptions, type EngineOptionsInput, resolveOptions } from "./options.ts";
import { checkPrompt, checkRequestId } from "./request-checks.ts";
import { SeedAllocator } from "./seeds.ts";
import { SearchCut, Session } from "./session.ts";
import { STRATEGIES } from "./strategies/index.ts";
import {
  cutError,
  runStrategy,
  type SearchStrategy,
  type StrategyResult,
} from "./strategies/strategy.ts";
import {
  checkOverride,
  chooseConfig,
  generationBudget,
  type ResolvedConfig,
  type StrategyName,
  type TableChoice,
  toProtoConfig,
} from "./table.ts";
import { Ledger, toProtoUsage } from "./usage.ts";

export interface Engine {
  solve: Solve;
  estimateDifficulty: EstimateDifficulty;
  // Every check that needs no backend, with this engine's limits; throws INVALID_ARGUMENT.
  validate: (request: SolveRequest, policy: PolicySnapshot) => void;
  options: EngineOptions;
}

export function createEngine(input: EngineOptionsInput = {}): Engine {
  const options = resolveOptions(input);
  return {
    options,
    solve: (request, context) => solve(request, context, options),
    estimateDifficulty: (request, context) => estimateDifficulty(request, context, options),
    validate: (request, policy) => {
      validate(request, policy, options);
    },
  };
}

// What validation settles before any backend is called: bad requests cost nothing.
interface Plan {
  requestId: string;
  problem: string;
  budget: number;
  override: StrategyName | undefined;
  hint: number | undefined;
  bins: number;
}

function validate(request: SolveRequest, policy: PolicySnapshot, options: EngineOptions): Plan {
  checkRequestId(request.requestId);
  checkPrompt(request.prompt, options.maxPromptChars);
  const bins = Math.max(1, policy.bins);
  const hint =
    request.difficultyHint === undefined ? undefined : checkHint(request.difficultyHint, bins);
  if (hint === undefined && policy.estimator === Estimator.hint) {
    throw invalidArgument(
      `difficulty_hint (1..${bins}) is required: policy ${policy.name} estimates by hint`,
    );
  }
  return {
    requestId: request.requestId || randomUUID(),
    problem: request.prompt,
    budget: generationBudget(request.budget?.maxGenerations ?? 0, policy),
    override: checkOverride(request.strategy),
    hint,
    bins,
  };
}

// Difficulty and table lookup: the part Solve and EstimateDifficulty share.
interface Estimate {
  plan: Plan;
  session: Session;
  bin: number;
  score: number;
  probe: ScoredCandidate[];
  choice: TableChoice;
  // What will run: the table's strategy shaped to the budget left after the probe, or, when
  // the probe took it all, best-of-N over the probe's samples (probeOnly).
  strategy: SearchStrategy;
  config: ResolvedConfig;
  probeOnly: boolean;
}

async function estimate(
  request: SolveRequest,
  context: SolveContext,
  options: EngineOptions,
): Promise<Estimate> {
  const { policy } = context;
  const plan = validate(request, policy, options);
  const maxTokens = request.budget?.maxTokens ?? 0n;
  await context.ready?.(plan.hint ?? 0);
  const session = new Session({
    problem: plan.problem,
    stepDelimiter: context.stepDelimiter,
    aggregation: aggregationName(policy.aggregation),
    // A policy's own sampling temperature (its prompt format's) wins over the engine default.
    options:
      policy.prompt?.temperature === undefined
        ? options
        : { ...options, temperature: policy.prompt.temperature },
    ledger: new Ledger({
      generations: plan.budget,
      completionTokens: maxTokens > 0n ? Number(maxTokens) : Number.POSITIVE_INFINITY,
    }),
    seeds: new SeedAllocator(plan.requestId),
    // Bin 0: no bin is known yet; the transport decides which pool serves the probe.
    backends: plan.hint === undefined ? context.backendsFor(0) : context.backendsFor(plan.hint),
    signal: context.signal,
    remainingMs: context.remainingMs,
    onEvent: context.onEvent,
  });
  let bin = plan.hint ?? 0;
  let score = 0;
  let probed: ScoredCandidate[] = [];
  if (plan.hint === undefined) {
    // The probe's samples count towards the budget, so it never draws more than the share of
    // the budget the policy allows it (at least one sample: a probe needs something to score).
    const share = policy.maxProbeFraction > 0 ? Math.min(1, policy.maxProbeFraction) : 1;
    const k = Math.min(
      policy.probeSamples || options.defaultProbeSamples,
      Math.max(1, Math.floor(plan.budget * share)),
    );
    try {
      ({ score, candidates: probed } = await probe(session, k));
    } catch (error) {
      throw withUsage(error instanceof SearchCut ? cutError(error) : error, session);
    }
    bin = binForScore(score, policy.thresholds, plan.bins);
  }
  const choice = chooseConfig(
    policy,
    bin,
    plan.budget,
    plan.override,
    options,
    context.stepDown?.(bin) ?? false,
  );
  const table = STRATEGIES[choice.config.strategy];
  const shaped = table.shape(choice.config, probed.length);
  const ran = shaped
    ? { strategy: table, config: shaped, probeOnly: false }
    : {
        // Too small a budget for the table's strategy: best-of-N, on the probe's samples when
        // the probe took the budget (said by probeOnly), or on the budget's own samples.
        strategy: STRATEGIES.bestOfN,
        config: {
          ...choice.config,
          strategy: "bestOfN" as const,
          generations: probed.length > 0 ? probed.length : choice.config.generations,
        },
        probeOnly: probed.length > 0,
      };
  session.emit({
    case: "difficulty",
    value: {
      bin,
      difficultyScore: score,
      config: toProtoConfig(ran.config),
      budgetLevel: choice.level,
      steppedDown: choice.steppedDown,
    },
  });
  return { plan, session, bin, score, probe: probed, choice, ...ran };
}

async function solve(
  request: SolveRequest,
  context: SolveContext,
  options: EngineOptions,
): Promise<SolveResponse> {
  const {
    plan,
    session,
    bin,
    score,
    probe: probed,
    choice,
    strategy,
    config,
    probeOnly,
  } = await estimate(request, context, options);
  let result: StrategyResult;
  try {
    // The probe ran on the bin-0 pools; the search runs on the bin's own.
    if (plan.hint === undefined && !probeOnly) {
      await context.ready?.(bin);
      session.backends = context.backendsFor(bin);
    }
    result = await runStrategy(strategy, { session, config, probe: probed });
  } catch (error) {
    throw withUsage(error, session);
  }
  const response = create(SolveResponseSchema, {
    requestId: plan.requestId,
    answer: result.answer,
    solution: result.solution,
    bin,
    difficultyScore: score,
    config: toProtoConfig(config),
    budgetLevel: choice.level,
    usage: toProtoUsage(result.usage),
    score: result.score,
    candidates: request.includeCandidates
      ? result.candidates.map((c) =>
          create(CandidateSchema, {
            answer: c.answer,
            solution: c.solution,
            score: c.score,
            stepScores: c.stepScores,
          }),
        )
      : [],
    partial: result.partial,
    stoppedEarly: result.stoppedEarly,
    steppedDown: choice.steppedDown,
    probeOnly,
  });
  // The stream's last event carries the response, so a streaming transport only forwards events.
  session.emit({ case: "final", value: response });
  return response;
}

async function estimateDifficulty(
  request: SolveRequest,
  context: SolveContext,
  options: EngineOptions,
) {
  const { plan, session, bin, score, choice, config } = await estimate(request, context, options);
  return create(EstimateDifficultyResponseSchema, {
    requestId: plan.requestId,
    bin,
    difficultyScore: score,
    config: toProtoConfig(config),
    budgetLevel: choice.level,
    usage: toProtoUsage(session.ledger.usage),
  });
}

// A failed request's spending so far travels with its error (see EngineError.usage).
function withUsage(error: unknown, session: Session): unknown {
  if (error instanceof EngineError) error.usage = { ...session.ledger.usage };
  return error;
}
