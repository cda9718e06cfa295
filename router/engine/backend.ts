// The seam between the transport-free engine and whatever serves the models. The engine only
// sees these interfaces; router/backends implements them over vLLM's HTTP API, and unit tests
// implement them with deterministic fakes.

// What the model is asked, before any format is applied: the problem, earlier attempts to revise
// (none for a fresh solution) and the steps of the solution so far. The backend renders it in its
// model's format (router/formats), as completion text or as chat messages.
export interface PromptInput {
  problem: string;
  attempts: readonly string[];
  steps: readonly string[];
}

export interface GenerateRequest {
  prompt: PromptInput;
  // Independent samples wanted (vLLM's `n`).
  n: number;
  maxTokens: number;
  temperature: number;
  // A seed unique to this call: calls that must differ never share one (see engine/seeds.ts).
  seed: number;
  // Stop at the end of the current reasoning step instead of running to the end of the solution.
  stopAtStepEnd: boolean;
  signal: AbortSignal;
}

export interface Completion {
  // The generated text, including the step delimiter when generation stopped on one.
  text: string;
  // True when the model ended the whole solution (EOS, a stop token, or max_tokens on a call for
  // a whole solution), not just one step. max_tokens on a call for one step is a truncated step,
  // not a finished solution.
  finished: boolean;
  // Generation hit max_tokens (vLLM's finish_reason "length").
  truncated?: boolean;
  completionTokens: number;
}

export interface GenerateResult {
  completions: Completion[];
  promptTokens: number;
}

export interface Proposer {
  generate(request: GenerateRequest): Promise<GenerateResult>;
}

export interface ScoreRequest {
  // The problem statement, as the client sent it (not templated).
  problem: string;
  // One entry per solution to score; each solution is its list of steps (delimiters stripped).
  solutions: string[][];
  signal: AbortSignal;
}

export interface ScoreResult {
  // stepScores[i][j] is P(step j of solution i is correct), one value per step.
  stepScores: number[][];
  tokens: number;
}

export interface Verifier {
  score(request: ScoreRequest): Promise<ScoreResult>;
}
