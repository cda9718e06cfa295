// Engine knobs that are not part of a policy: sampling defaults, size limits and the early
// stopping rule. The transport passes overrides to createEngine(); tests pass their own.

export type EarlyStopRule = "off" | "exact" | "margin";

export interface EarlyStopping {
  // off: always spend the whole budget. exact: stop only when the remaining samples cannot
  // change the winner (free: same answer, less compute). margin: stop when the lead exceeds
  // `margin` × the most weight the remaining samples could add (margin < 1 is looser, and may
  // change an answer that the full budget would have flipped).
  rule: EarlyStopRule;
  margin: number;
  // Sample in this many rounds at most (round size = ceil(N / rounds)); more rounds stop
  // sooner but add latency.
  rounds: number;
}

export interface EngineOptions {
  // Extract the answer with this pattern (first capture group) instead of \boxed{}.
  answerPattern?: RegExp;
  temperature: number;
  // Per-sample max_tokens for a whole solution and for one step.
  maxSolutionTokens: number;
  maxStepTokens: number;
  // Prompts longer than this (in characters) are rejected with INVALID_ARGUMENT.
  maxPromptChars: number;
  // Probe size when the policy leaves probe_samples at 0.
  defaultProbeSamples: number;
  earlyStopping: EarlyStopping;
  // How revision picks its answer across all attempts of all chains.
  revisionSelection: "weighted" | "majority";
  // Earlier attempts kept in a revision prompt (the newest ones): bounds prompt growth.
  revisionContext: number;
  // Beam search and lookahead drop children whose prefix repeats another's (search-and-learn's
  // filter_duplicates, on in its recipes).
  beamDedupe: boolean;
  // Defaults for a config field the table left at 0 (e.g. a strategy override onto a level
  // written for another strategy).
  defaultBeamWidth: number;
  defaultLookahead: number;
  defaultMaxSteps: number;
  defaultSequentialRatio: number;
}

export const DEFAULT_OPTIONS: EngineOptions = {
  temperature: 0.8, // search-and-learn's sampling temperature
  maxSolutionTokens: 2048,
  maxStepTokens: 512,
  maxPromptChars: 32_000,
  defaultProbeSamples: 4,
  earlyStopping: { rule: "exact", margin: 1, rounds: 8 },
  revisionSelection: "weighted",
  revisionContext: 4,
  beamDedupe: true,
  defaultBeamWidth: 4, // search-and-learn's default
  defaultLookahead: 1,
  defaultMaxSteps: 40, // search-and-learn's num_iterations
  defaultSequentialRatio: 0.5,
};

export type EngineOptionsInput = Partial<Omit<EngineOptions, "earlyStopping">> & {
  earlyStopping?: Partial<EarlyStopping>;
};

export function resolveOptions(input: EngineOptionsInput = {}): EngineOptions {
  return {
    ...DEFAULT_OPTIONS,
    ...input,
    earlyStopping: { ...DEFAULT_OPTIONS.earlyStopping, ...input.earlyStopping },
  };
}
