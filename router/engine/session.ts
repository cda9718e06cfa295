// Everything one request's search needs, behind a few calls: sample from the proposer, score with
// the verifier, turn text into scored candidates, and pace rounds against the deadline. Every
// backend call goes through here, so budget reservation, seeds, usage and error mapping are done
// once, and a strategy file only says *what* to search.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type SolveEvent, SolveEventSchema } from "../../proto/gen/mull/v1/router_pb.ts";
import type { AggregationName } from "./aggregate.ts";
import type { BinBackends } from "./api.ts";
import type { Completion, PromptInput } from "./backend.ts";
import { makeCandidate, type ScoredCandidate, splitSteps } from "./candidate.ts";
import { EngineError } from "./errors.ts";
import type { EngineOptions } from "./options.ts";
import type { SeedAllocator } from "./seeds.ts";
import type { Ledger } from "./usage.ts";

// Why a search stopped before its plan was done. Strategies let it propagate; runStrategy turns
// it into a partial answer (best so far), or into an error when there is nothing to answer with.
export type CutReason = "deadline" | "cancelled" | "tokens" | "generations";

export class SearchCut extends Error {
  readonly reason: CutReason;
  constructor(reason: CutReason, message: string) {
    super(message);
    this.name = "SearchCut";
    this.reason = reason;
  }
}

export interface SessionInit {
  problem: string;
  stepDelimiter: string;
  aggregation: AggregationName;
  options: EngineOptions;
  ledger: Ledger;
  seeds: SeedAllocator;
  backends: BinBackends;
  signal: AbortSignal;
  remainingMs: () => number;
  onEvent?: ((event: SolveEvent) => void) | undefined;
}

export interface SampleRequest {
  prompt: PromptInput;
  n: number;
  stopAtStepEnd: boolean;
  // Defaults to the engine's sampling temperature; lookahead rollouts pass 0 (greedy).
  temperature?: number;
  // How many of the n samples count as new generations (n for fresh samples, 0 for expanding
  // beams whose generations were counted when the search started).
  newGenerations: number;
}

export class Session {
  readonly problem: string;
  readonly stepDelimiter: string;
  readonly aggregation: AggregationName;
  readonly options: EngineOptions;
  readonly ledger: Ledger;
  readonly seeds: SeedAllocator;
  readonly signal: AbortSignal;
  readonly remainingMs: () => number;
  backends: BinBackends;
  // Every finished, scored candidate of this request (the probe's first): what a cut search
  // answers from.
  readonly candidates: ScoredCandidate[] = [];
  #onEvent: ((event: SolveEvent) => void) | undefined;
  #lastRoundMs: number | undefined;

  constructor(init: SessionInit) {
    this.problem = init.problem;
    this.stepDelimiter = init.stepDelimiter;
    this.aggregation = init.aggregation;
    this.options = init.options;
    this.ledger = init.ledger;
    this.seeds = init.seeds;
    this.backends = init.backends;
    this.signal = init.signal;
    this.remainingMs = init.remainingMs;
    this.#onEvent = init.onEvent;
  }

  // The prompt for continuing `steps` (a fresh solution when empty), revising `attempts` if any.
  prompt(steps: readonly string[] = [], attempts: readonly string[] = []): PromptInput {
    return { problem: this.problem, attempts, steps };
  }

  emit(event: MessageInitShape<typeof SolveEventSchema>["event"]): void {
    this.#onEvent?.(create(SolveEventSchema, { event }));
  }

  // Runs one round of a search (a batch of calls that go out together). Before it starts, checks
  // that the deadline leaves room for it, judging by how long the previous round took.
  async round<T>(work: () => Promise<T>): Promise<T> {
    this.#checkAlive();
    const before = this.remainingMs();
    if (Number.isFinite(before) && this.#lastRoundMs !== undefined && before < this.#lastRoundMs) {
      throw new SearchCut(
        "deadline",
        `${Math.round(before)} ms left, the last round took ${Math.round(this.#lastRoundMs)} ms`,
      );
    }
    const result = await work();
    const after = this.remainingMs();
    if (Number.isFinite(before) && Number.isFinite(after)) this.#lastRoundMs = before - after;
    return result;
  }

  async sample(request: SampleRequest): Promise<Completion[]> {
    this.#checkAlive();
    const { n } = request;
    if (!this.ledger.takeGenerations(request.newGenerations)) {
      throw new SearchCut("generations", `${request.newGenerations} more generations do not fit`);
    }
    const wanted = request.stopAtStepEnd
      ? this.options.maxStepTokens
      : this.options.maxSolutionTokens;
    const grant = this.ledger.reserveTokens(n, wanted);
    if (!grant) {
      this.ledger.returnGenerations(request.newGenerations);
      throw new SearchCut("tokens", "the request's completion-token budget is spent");
    }
    try {
      const result = await this.backends.proposer.generate({
        prompt: request.prompt,
        n,
        maxTokens: grant.perSample,
        temperature: request.temperature ?? this.options.temperature,
        seed: this.seeds.next(n),
        stopAtStepEnd: request.stopAtStepEnd,
        signal: this.signal,
      });
      const completions = result.completions.slice(0, n);
      const tokens = completions.reduce((sum, c) => sum + c.completionTokens, 0);
      const longest = completions.reduce((m, c) => Math.max(m, c.completionTokens), 0);
      this.ledger.settleProposer(grant, result.promptTokens, tokens, longest);
      // Samples the backend did not deliver were not generated: do not count them.
      const missing = Math.min(request.newGenerations, n - completions.length);
      if (missing > 0) this.ledger.returnGenerations(missing);
      return completions;
    } catch (error) {
      this.ledger.cancelProposer(grant);
      this.ledger.returnGenerations(request.newGenerations);
      throw this.#backendError("proposer", error);
    }
  }

  // Several calls in parallel. Waits for every call before failing, so no reservation outlives
  // the search and the usage a cut search reports is complete.
  async sampleAll(requests: SampleRequest[]): Promise<Completion[][]> {
    const settled = await Promise.allSettled(requests.map((r) => this.sample(r)));
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Completion[]>).value);
  }

  // PRM step scores for each solution (given as its steps), in one verifier call.
  async score(solutions: string[][]): Promise<number[][]> {
    if (solutions.length === 0) return [];
    this.#checkAlive();
    let result: Awaited<ReturnType<BinBackends["verifier"]["score"]>>;
    try {
      result = await this.backends.verifier.score({
        problem: this.problem,
        solutions,
        signal: this.signal,
      });
    } catch (error) {
      this.ledger.failedVerifier();
      throw this.#backendError("verifier", error);
    }
    this.ledger.settleVerifier(result.tokens);
    if (result.stepScores.length !== solutions.length) {
      throw new EngineError(
        "UNAVAILABLE",
        `verifier returned ${result.stepScores.length} score lists for ${solutions.length} solutions`,
      );
    }
    return result.stepScores;
  }

  steps(text: string): string[] {
    return splitSteps(text, this.stepDelimiter);
  }

  candidate(steps: string[], stepScores: number[]): ScoredCandidate {
    return makeCandidate(
      steps,
      stepScores,
      this.stepDelimiter,
      this.aggregation,
      this.options.answerPattern,
    );
  }

  // Scores finished solutions (each given as its steps), records them as candidates of the
  // request and reports each one as a CandidateScored event.
  async finish(solutions: string[][]): Promise<ScoredCandidate[]> {
    const scores = await this.score(solutions);
    const made = solutions.map((steps, i) => this.candidate(steps, scores[i] ?? []));
    this.record(made);
    return made;
  }

  // Records candidates scored elsewhere (or not at all, for majority voting).
  record(candidates: ScoredCandidate[]): void {
    for (const c of candidates) {
      this.candidates.push(c);
      this.emit({ case: "candidate", value: { answer: c.answer, score: c.score } });
    }
  }

  #checkAlive(): void {
    if (this.signal.aborted) throw this.#abortCut();
    if (this.remainingMs() <= 0) throw new SearchCut("deadline", "the deadline has passed");
  }

  #abortCut(): SearchCut {
    const reason = this.signal.reason as { name?: string } | undefined;
    const timedOut = reason?.name === "TimeoutError" || this.remainingMs() <= 0;
    return timedOut
      ? new SearchCut("deadline", "the deadline passed during the search")
      : new SearchCut("cancelled", "the call was cancelled");
  }

  #backendError(role: "proposer" | "verifier", error: unknown): Error {
    if (error instanceof EngineError || error instanceof SearchCut) return error;
    // An abort surfaces as whatever the client library throws; the signal says what it meant.
    if (this.signal.aborted) return this.#abortCut();
    const message = error instanceof Error ? error.message : String(error);
    return new EngineError("UNAVAILABLE", `${role} backend failed: ${message}`);
  }
}
