// The proposer over vLLM's OpenAI-compatible completions API (POST /v1/completions).
//
// How a finished step is told from a finished solution (vLLM's CompletionResponseChoice):
// finish_reason "stop" with stop_reason equal to one of our stop strings means generation halted
// on the step delimiter; finish_reason "stop" with stop_reason null (EOS) or an integer (a stop
// token id), or finish_reason "length" (max_tokens), mean the solution is over.
import type { GenerateRequest, GenerateResult, Proposer } from "../engine/backend.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import { BadResponseError, postJson } from "./http-json.ts";
import { type Affinity, type CallOptions, callPool } from "./pool-caller.ts";

interface CompletionChoice {
  index: number;
  text: string;
  finish_reason: string | null;
  stop_reason?: string | number | null;
}

interface CompletionResponse {
  choices: CompletionChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

export interface VllmProposerOptions {
  pool: EndpointPool;
  affinity: Affinity;
  stepDelimiter: string;
  call: CallOptions;
}

export class VllmProposer implements Proposer {
  private readonly options: VllmProposerOptions;

  constructor(options: VllmProposerOptions) {
    this.options = options;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { pool, affinity, stepDelimiter, call } = this.options;
    const body = {
      model: pool.model,
      prompt: request.prompt,
      n: request.n,
      max_tokens: request.maxTokens,
      temperature: request.temperature,
      seed: request.seed,
      // Keep the delimiter in the text so steps concatenate back into the solution verbatim.
      include_stop_str_in_output: true,
      ...(request.stopAtStepEnd ? { stop: [stepDelimiter] } : {}),
    };
    const options = { ...call, maxTokens: request.maxTokens };
    return callPool(pool, affinity, request.signal, options, async (endpoint, signal, http) => {
      const url = `${endpoint}/v1/completions`;
      return parseCompletion(url, await postJson(url, body, signal, http), request.n);
    });
  }
}

export function parseCompletion(url: string, raw: unknown, n: number): GenerateResult {
  const response = raw as CompletionResponse;
  if (!Array.isArray(response?.choices)) throw new BadResponseError(url, "no choices array");
  if (response.choices.length !== n) {
    throw new BadResponseError(url, `asked for ${n} samples, got ${response.choices.length}`);
  }
  const choices = [...response.choices].sort((a, b) => a.index - b.index);
  for (const [i, c] of choices.entries()) {
    if (typeof c?.text !== "string") throw new BadResponseError(url, "a choice has no text");
    if (c.index !== i) throw new BadResponseError(url, `choice indexes are not 0..${n - 1}`);
  }
  const usage = response.usage;
  for (const field of ["prompt_tokens", "completion_tokens"] as const) {
    const value = usage?.[field];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new BadResponseError(url, `usage.${field} is ${JSON.stringify(value)}`);
    }
  }
  // vLLM reports completion tokens for the whole call, not per choice. The total stays exact;
  // per choice it is split by text length (largest remainder), which is what the engine needs
  // to charge token budgets.
  const total = response.usage?.completion_tokens ?? 0;
  const perChoice = splitByWeight(
    total,
    choices.map((c) => c.text.length),
  );
  return {
    promptTokens: response.usage?.prompt_tokens ?? 0,
    completions: choices.map((c, i) => ({
      text: c.text,
      finished: endsSolution(c),
      completionTokens: perChoice[i] ?? 0,
    })),
  };
}

// Integer shares of `total` proportional to `weights`, summing exactly to `total`.
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sum === 0 ? total / weights.length : (total * w) / sum));
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => ({ i, r: x - Math.floor(x) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    shares[i] = (shares[i] ?? 0) + 1;
    left--;
  }
  return shares;
}

// How vLLM says a sample ended the whole solution: a named stop string (the step delimiter)
// ends only a step; EOS, a stop token or the length limit end the solution.
export function endsSolution(choice: { finish_reason?: unknown; stop_reason?: unknown }): boolean {
  return !(choice.finish_reason === "stop" && typeof choice.stop_reason === "string");
}
