// The one interface every search strategy implements, and the wrapper that turns a strategy's
// run into a result: it picks the answer from the request's candidates and, when the search was
// cut short (deadline, token bound), answers with the best so far instead of failing.
import type { ScoredCandidate } from "../candidate.ts";
import { EngineError, invalidArgument } from "../errors.ts";
import type { EngineOptions } from "../options.ts";
import { type CutReason, SearchCut, type Session } from "../session.ts";
import type { ResolvedConfig, StrategyName } from "../table.ts";
import type { UsageCounts } from "../usage.ts";
import { majorityVote, type VoteResult, weightedVote } from "../vote.ts";

export type Selection = "weighted" | "majority";

export interface StrategyInput {
  // Budget (ledger), proposer and verifier (backends), templates, seeds, aggregation, deadline and
  // signal, and the event sink all come with the session.
  session: Session;
  // The config as shaped by the strategy (see SearchStrategy.shape).
  config: ResolvedConfig;
  // The difficulty probe's samples: already generated, already counted in the ledger, and already
  // in session.candidates. A strategy spends only config.generations − probe.length more.
  probe: readonly ScoredCandidate[];
}

export interface StrategyOutcome {
  stoppedEarly: boolean;
}

export interface SearchStrategy {
  name: StrategyName;
  selection: (options: EngineOptions) => Selection;
  // The config this strategy will actually run, given the table's and the probe's sample count:
  // beam width and beam count cut to fit the budget, generations as they will be counted. The
  // response reports this config. Undefined when the probe left it nothing to run.
  shape: (config: ResolvedConfig, probe: number) => ResolvedConfig | undefined;
  // Generates and records candidates in input.session; throws SearchCut when cut short.
  run: (input: StrategyInput) => Promise<StrategyOutcome>;
}

export interface StrategyResult {
  candidates: ScoredCandidate[];
  answer: string;
  solution: string;
  score: number;
  usage: UsageCounts;
  partial: boolean;
  stoppedEarly: boolean;
  // Why the search stopped before its plan was done, when it did.
  cut?: CutReason;
}

export async function runStrategy(
  strategy: SearchStrategy,
  input: StrategyInput,
): Promise<StrategyResult> {
  const { session } = input;
  let outcome: StrategyOutcome = { stoppedEarly: false };
  let cut: SearchCut | undefined;
  try {
    outcome = await strategy.run(input);
  } catch (error) {
    if (!(error instanceof SearchCut)) throw error;
    cut = error;
  }
  const candidates = session.candidates;
  if (candidates.length === 0) {
    if (cut) throw cutError(cut);
    throw new EngineError("UNAVAILABLE", "the proposer returned no samples");
  }
  const chosen = choose(candidates, strategy.selection(session.options));
  return {
    candidates,
    ...chosen,
    usage: { ...session.ledger.usage },
    partial: cut !== undefined || session.ledger.clipped,
    stoppedEarly: outcome.stoppedEarly,
    ...(cut ? { cut: cut.reason } : {}),
  };
}

// The error for a search cut before it had any candidate to answer with.
export function cutError(cut: SearchCut): EngineError {
  switch (cut.reason) {
    case "deadline":
      return new EngineError(
        "DEADLINE_EXCEEDED",
        `no candidate before the deadline: ${cut.message}`,
      );
    case "cancelled":
      return new EngineError("CANCELLED", cut.message);
    // A budget too small for one candidate is the request's own limit, not the router's
    // capacity: RESOURCE_EXHAUSTED would tell clients to retry the same impossible request.
    case "tokens":
      return invalidArgument(
        `budget.max_tokens is too small for even one complete candidate: ${cut.message}`,
      );
    case "generations":
      return invalidArgument(`budget.max_generations is too small: ${cut.message}`);
  }
}

export function vote(candidates: readonly ScoredCandidate[], selection: Selection): VoteResult {
  return selection === "weighted"
    ? weightedVote(candidates.map((c) => ({ answer: c.key, weight: c.score })))
    : majorityVote(candidates.map((c) => c.key));
}

export interface Chosen {
  answer: string;
  solution: string;
  // Weighted: the chosen solution's PRM score. Majority: the winner's share of the answered votes.
  score: number;
}

// The winning answer, shown through its highest-scoring solution.
export function choose(candidates: readonly ScoredCandidate[], selection: Selection): Chosen {
  const result = vote(candidates, selection);
  let best: ScoredCandidate | undefined;
  for (const c of candidates) {
    if (c.key === result.answer && (!best || c.score > best.score)) best = c;
  }
  if (!best) throw new EngineError("INTERNAL", "vote chose an answer no candidate gave");
  const answered = candidates.filter((c) => c.key !== "").length;
  const score =
    selection === "weighted"
      ? best.score
      : answered > 0
        ? (result.tallies[0]?.count ?? 0) / answered
        : 0;
  return { answer: best.answer, solution: best.solution, score };
}
