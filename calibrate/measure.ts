// What a calibration measures, against a fleet, through the router's own engine:
//
// phase 1, per problem: the probe score exactly as the router computes it at serve time
//   (engine.estimateDifficulty: probeSamples whole solutions, the mean PRM score), and the
//   oracle pass@1 of `oracleSamples` plain samples (answers extracted and compared with the
//   dataset's by the router's answer equivalence), reported beside it;
// phase 2, per problem and grid cell: engine.solve WITHOUT a difficulty hint, on a policy with
//   the real thresholds and the cell's strategy at every bin, so the probe runs and is charged
//   exactly as at serve time; correctness by answer equivalence, and the cost from the
//   response's usage.
//
// Every problem has one request id, so its seeds (router/engine/seeds.ts) are the same in every
// phase and cell: the probe's samples are phase 1's, the oracle's samples are the ones best-of-N
// draws after the probe, and a rerun or a wider grid asks the sample cache for what it has.
// The cells of one problem thus share their random draws (common random numbers), which makes
// the comparison between strategies sharper, as the same samples make best-of-N's curve.
//
// Calls run `concurrency` units at a time; a backend call that fails is retried with backoff
// (retry.ts, under the cache); a unit that still fails is marked failed, and more failures than
// `maxFailureRate` of a phase end the run with TooManyFailuresError (no patch from lost data).
// An aborted signal stops the run cleanly: nothing new starts, what is in flight is cancelled
// and awaited, every answered call is already in the cache, and the signal's reason is thrown.
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import { SolveRequestSchema, type Usage } from "../proto/gen/mull/v1/router_pb.ts";
import { extractAnswer } from "../router/engine/answers.ts";
import type { BinBackends, SolveContext } from "../router/engine/api.ts";
import { binForScore, quantileThresholds } from "../router/engine/difficulty.ts";
import { createEngine } from "../router/engine/engine.ts";
import { sameAnswer } from "../router/engine/equivalence.ts";
import { EngineError } from "../router/engine/errors.ts";
import type { EngineOptionsInput } from "../router/engine/options.ts";
import { SeedAllocator } from "../router/engine/seeds.ts";
import type { UsageCounts } from "../router/engine/usage.ts";
import { emptyTally, type SampleCache, type Tally } from "./cache.ts";
import type { Problem } from "./dataset.ts";
import { calibrationPolicy, type StrategySpec } from "./engine-runs.ts";
import type { Fleet } from "./fleet.ts";
import type { GridCell } from "./grid.ts";
import type { CellResult, ProblemResult } from "./measurement.ts";
import { DEFAULT_RETRY, type RetryOptions, retryingProposer, retryingVerifier } from "./retry.ts";

// Units of work (phase 1: problems; phase 2: problem × cell): answered with at least one backend
// call (fresh) or wholly from the cache (cached), or lost (failed); and backend calls retried.
export interface Counts {
  fresh: number;
  cached: number;
  failed: number;
  retried: number;
}

export interface MeasureProgress {
  phase: "probe" | "grid";
  done: number;
  total: number;
  counts: Counts;
}

export interface MeasureOptions {
  problems: readonly Problem[];
  fleet: Fleet;
  // Without one, every call goes to the fleet.
  cache?: SampleCache;
  grid: readonly GridCell[];
  bins: number;
  probeSamples: number;
  // Plain samples per problem for the oracle pass@1; 0: none (oraclePass1 null).
  oracleSamples: number;
  concurrency: number;
  // Default: the probe scores' quantiles (router/engine/difficulty.ts quantileThresholds).
  thresholds?: readonly number[];
  signal?: AbortSignal;
  retry?: RetryOptions;
  // The largest share of a phase's units that may fail (default 2%).
  maxFailureRate?: number;
  // The router's engine options (its --temperature, max tokens, early stopping, …).
  engine?: EngineOptionsInput;
  // The published curves' protocol, for checking the sim against them (sim-fit.ts), never for a
  // table: each cell runs with its probe's bin as the difficulty hint, so the strategy gets all N
  // generations, uncharged for the probe, and draws seeds apart from the probe's.
  hinted?: boolean;
  onProgress?: (progress: MeasureProgress) => void;
}

export interface Measured {
  thresholds: number[];
  problems: ProblemResult[];
  counts: { probe: Counts; grid: Counts };
  // The first few distinct failure messages, for the report.
  errors: string[];
}

export const DEFAULT_MAX_FAILURE_RATE = 0.02;

export class TooManyFailuresError extends Error {
  readonly counts: Counts;
  constructor(phase: string, counts: Counts, total: number, errors: readonly string[]) {
    super(
      `${counts.failed} of ${total} ${phase} runs failed after retries, more than a calibration can lose; no patch written (first errors: ${errors.slice(0, 3).join("; ")})`,
    );
    this.name = "TooManyFailuresError";
    this.counts = counts;
  }
}

// The request id of a problem in every phase and cell: from its text, so reordering or
// renumbering the dataset keeps its seeds (and its cached samples).
export function requestIdFor(problem: string): string {
  return `calibrate-${createHash("sha256").update(problem).digest("hex").slice(0, 32)}`;
}

export async function measureProblems(options: MeasureOptions): Promise<Measured> {
  const run = new Run(options);
  const probes = await run.phase1();
  const thresholds = [
    ...(options.thresholds ??
      quantileThresholds(
        probes.map((p) => p.probeScore),
        options.bins,
      )),
  ];
  const problems = await run.phase2(probes, thresholds);
  return {
    thresholds,
    problems,
    counts: { probe: run.counts.probe, grid: run.counts.grid },
    errors: run.errors,
  };
}

interface Probed {
  problem: Problem;
  probeScore: number;
  oraclePass1: number | null;
}

const newCounts = (): Counts => ({ fresh: 0, cached: 0, failed: 0, retried: 0 });
const MAX_ERRORS = 10;

class Run {
  readonly counts = { probe: newCounts(), grid: newCounts() };
  readonly errors: string[] = [];
  readonly #o: MeasureOptions;
  readonly #engine: ReturnType<typeof createEngine>;
  readonly #signal: AbortSignal;
  readonly #policies = new Map<string, PolicySnapshot>();

  constructor(options: MeasureOptions) {
    this.#o = options;
    this.#engine = createEngine(options.engine);
    this.#signal = options.signal ?? new AbortController().signal;
  }

  // The policy one cell runs on: the fleet's policy-wide settings (formats, aggregation, the
  // probe's share of the budget), the calibrated thresholds, the cell's strategy in every bin.
  #policy(spec: StrategySpec, budget: number, thresholds: readonly number[], probeShare?: number) {
    const key = JSON.stringify([spec, budget, thresholds, probeShare]);
    let policy = this.#policies.get(key);
    if (policy === undefined) {
      const base = this.#o.fleet.policy;
      policy = calibrationPolicy(spec, {
        bins: this.#o.bins,
        thresholds: [...thresholds],
        budgets: [budget],
        probeSamples: this.#o.probeSamples,
        formats: { prompt: base.prompt, verifierFormat: base.verifierFormat },
      });
      policy.namespace = base.namespace;
      policy.aggregation = base.aggregation;
      policy.stepSeparator = base.stepSeparator;
      policy.maxProbeFraction = probeShare ?? base.maxProbeFraction;
      this.#policies.set(key, policy);
    }
    return policy;
  }

  // The fleet's backends for one unit: retried under the cache, counted in `tally`.
  #backends(tally: Tally, counts: Counts): BinBackends {
    const raw = this.#o.fleet.forRequest()(1);
    const retry: RetryOptions = {
      ...(this.#o.retry ?? DEFAULT_RETRY),
      onRetry: (error, attempt) => {
        counts.retried++;
        this.#o.retry?.onRetry?.(error, attempt);
      },
    };
    const proposer = retryingProposer(raw.proposer, retry);
    const verifier = retryingVerifier(raw.verifier, retry);
    const cache = this.#o.cache;
    if (cache === undefined) {
      // Without a cache every call is fresh; count calls so the unit knows.
      return {
        proposer: {
          generate: (r) => {
            tally.calls++;
            return proposer.generate(r);
          },
        },
        verifier: {
          score: (r) => {
            tally.calls++;
            return verifier.score(r);
          },
        },
      };
    }
    const { fleet } = this.#o;
    return {
      proposer: cache.proposer(
        proposer,
        { model: fleet.proposer.model, format: fleet.formats.proposer },
        tally,
      ),
      verifier: cache.verifier(
        verifier,
        { model: fleet.verifier.model, format: fleet.formats.verifier },
        tally,
      ),
    };
  }

  #context(policy: PolicySnapshot, backends: BinBackends, signal: AbortSignal): SolveContext {
    return {
      policy,
      backendsFor: () => backends,
      stepDelimiter: this.#o.fleet.formats.proposer.stepDelimiter,
      signal,
      remainingMs: () => Number.POSITIVE_INFINITY,
    };
  }

  async phase1(): Promise<Probed[]> {
    const { problems, probeSamples, oracleSamples } = this.#o;
    // The probe draws all its samples here (the share cap is for budgets below the probe).
    const policy = this.#policy({ label: "probe", strategy: "bestOfN" }, probeSamples, [], 1);
    const engineOptions = this.#engine.options;
    const temperature = this.#o.fleet.policy.prompt?.temperature ?? engineOptions.temperature;
    const out: (Probed | undefined)[] = [];
    await this.#pool("probe", problems.length, async (i, tally, signal) => {
      const problem = problems[i] as Problem;
      const requestId = requestIdFor(problem.problem);
      const backends = this.#backends(tally, this.counts.probe);
      const estimate = await this.#engine.estimateDifficulty(
        create(SolveRequestSchema, {
          policy: policy.name,
          prompt: problem.problem,
          requestId,
          budget: { maxGenerations: probeSamples },
        }),
        this.#context(policy, backends, signal),
      );
      let oraclePass1: number | null = null;
      if (oracleSamples > 0) {
        // The seeds best-of-N draws after the probe: disjoint from the probe's samples, and
        // already in the cache for best-of-N and majority (or put there for them).
        const seeds = new SeedAllocator(requestId);
        seeds.next(probeSamples);
        const drawn = await backends.proposer.generate({
          prompt: { problem: problem.problem, attempts: [], steps: [] },
          n: oracleSamples,
          maxTokens: engineOptions.maxSolutionTokens,
          temperature,
          seed: seeds.next(oracleSamples),
          stopAtStepEnd: false,
          signal,
        });
        const right = drawn.completions.filter((c) =>
          sameAnswer(extractAnswer(c.text, engineOptions.answerPattern), problem.answer),
        ).length;
        oraclePass1 = right / Math.max(1, drawn.completions.length);
      }
      out[i] = { problem, probeScore: estimate.difficultyScore, oraclePass1 };
    });
    // A problem whose probe failed cannot be binned: it is left out (and counted as failed).
    return out.filter((p): p is Probed => p !== undefined);
  }

  async phase2(probes: readonly Probed[], thresholds: readonly number[]): Promise<ProblemResult[]> {
    const { grid } = this.#o;
    const results: ProblemResult[] = probes.map((p) => ({
      id: p.problem.id,
      probeScore: p.probeScore,
      oraclePass1: p.oraclePass1,
      cells: [],
    }));
    const cells: (CellResult | undefined)[][] = probes.map(() => []);
    // Problem-major: the cells of one problem run together and share its probe call in flight.
    await this.#pool("grid", probes.length * grid.length, async (unit, tally, signal) => {
      const p = probes[Math.floor(unit / grid.length)] as Probed;
      const c = unit % grid.length;
      const cell = grid[c] as GridCell;
      const policy = this.#policy(cell.spec, cell.budget, thresholds);
      const row = cells[Math.floor(unit / grid.length)] as (CellResult | undefined)[];
      const requestId = requestIdFor(p.problem.problem);
      try {
        const response = await this.#engine.solve(
          create(SolveRequestSchema, {
            policy: policy.name,
            prompt: p.problem.problem,
            budget: { maxGenerations: cell.budget },
            ...(this.#o.hinted
              ? {
                  requestId: `${requestId}-hinted`,
                  difficultyHint: binForScore(p.probeScore, thresholds, this.#o.bins),
                }
              : { requestId }),
          }),
          this.#context(policy, this.#backends(tally, this.counts.grid), signal),
        );
        row[c] = {
          label: cell.label,
          budget: cell.budget,
          correct: sameAnswer(response.answer, p.problem.answer),
          ...cost(response.usage),
        };
      } catch (error) {
        if (signal.aborted) throw error;
        row[c] = {
          label: cell.label,
          budget: cell.budget,
          correct: false,
          ...cost(error instanceof EngineError ? error.usage : undefined),
          failed: true,
        };
        throw error;
      }
    });
    for (const [i, r] of results.entries()) {
      r.cells = (cells[i] ?? []).filter((c): c is CellResult => c !== undefined);
    }
    return results;
  }

  // Runs `total` units, `concurrency` at a time, counting each as fresh, cached or failed.
  async #pool(
    phase: "probe" | "grid",
    total: number,
    unit: (index: number, tally: Tally, signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const counts = this.counts[phase];
    const limit = this.#o.maxFailureRate ?? DEFAULT_MAX_FAILURE_RATE;
    // Too many failures cancel what is in flight too.
    const stop = new AbortController();
    const signal = AbortSignal.any([this.#signal, stop.signal]);
    let next = 0;
    let done = 0;
    let fatal: unknown;
    const worker = async () => {
      while (fatal === undefined && !signal.aborted && next < total) {
        const index = next++;
        const tally = emptyTally();
        try {
          await unit(index, tally, signal);
          if (tally.calls > 0) counts.fresh++;
          else counts.cached++;
        } catch (error) {
          if (signal.aborted) return;
          counts.failed++;
          this.#note(error);
          if (counts.failed > limit * total) {
            fatal = new TooManyFailuresError(phase, { ...counts }, total, this.errors);
            stop.abort(fatal);
          }
        }
        done++;
        this.#o.onProgress?.({ phase, done, total, counts: { ...counts } });
      }
    };
    const workers = Math.max(1, Math.min(this.#o.concurrency, total));
    await Promise.all(Array.from({ length: workers }, worker));
    if (fatal !== undefined) throw fatal;
    this.#signal.throwIfAborted();
  }

  #note(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.errors.length < MAX_ERRORS && !this.errors.includes(message)) {
      this.errors.push(message);
    }
  }
}

// What a cell cost, from the engine's usage (the same whether its samples came from the cache),
// or, for a failed one, what it had spent when it failed.
function cost(usage: Usage | UsageCounts | undefined) {
  const u: Partial<Record<keyof UsageCounts, number | bigint>> = usage ?? {};
  return {
    generations: Number(u.generations ?? 0),
    proposerTokens: Number(u.proposerPromptTokens ?? 0) + Number(u.proposerCompletionTokens ?? 0),
    verifierTokens: Number(u.verifierTokens ?? 0),
    backendCalls: Number(u.backendCalls ?? 0),
  };
}
