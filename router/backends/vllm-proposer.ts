// The proposer over vLLM's OpenAI-compatible API: POST /v1/completions with the prompt rendered
// by the policy's format, or, in chat mode, POST /v1/chat/completions with the solution so far as
// the final assistant message (continue_final_message), where vLLM applies the model's template.
// Both answer with the same choice fields (text or message.content, finish_reason, stop_reason).
//
// How a finished step is told from a finished solution (vLLM's CompletionResponseChoice):
// finish_reason "stop" with stop_reason equal to one of our stop strings means generation halted
// on the step delimiter; finish_reason "stop" with stop_reason null (EOS) or an integer (a stop
// token id), or finish_reason "length" (max_tokens) on a call for a whole solution, mean the
// solution is over; "length" on a call for one step is a truncated step.
import type { GenerateRequest, GenerateResult, PromptInput, Proposer } from "../engine/backend.ts";
import { chatPrompt, completionPrompt, type ProposerFormat } from "../formats/prompt.ts";
import { CHAT_TOKENS_PER_MESSAGE, fitContext, tokenBound } from "./context-fit.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import { BadResponseError, postJson } from "./http-json.ts";
import { maxModelLen } from "./model-limits.ts";
import { type Affinity, type CallOptions, callPool } from "./pool-caller.ts";

interface CompletionChoice {
  index: number;
  text: string;
  // /v1/chat/completions puts the text here instead.
  message?: { content?: string | null };
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
  format: ProposerFormat;
  call: CallOptions;
}

export class VllmProposer implements Proposer {
  private readonly options: VllmProposerOptions;

  constructor(options: VllmProposerOptions) {
    this.options = options;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { pool, affinity, format, call } = this.options;
    const chat = format.mode === "chat";
    const render = (input: PromptInput) =>
      chat ? chatPrompt(format, input) : { prompt: completionPrompt(format, input) };
    const promptTokens = (input: PromptInput) => {
      const rendered = render(input);
      return "prompt" in rendered
        ? tokenBound(rendered.prompt)
        : rendered.messages.reduce(
            (sum, m) => sum + tokenBound(m.content) + CHAT_TOKENS_PER_MESSAGE,
            CHAT_TOKENS_PER_MESSAGE,
          );
    };
    const options = { ...call, maxTokens: request.maxTokens };
    const path = chat ? "/v1/chat/completions" : "/v1/completions";
    return callPool(pool, affinity, request.signal, options, async (endpoint, signal, http) => {
      // Fit the call into the model's context: drop the oldest attempts, clamp max_tokens, or,
      // when nothing fits, end this branch (no text, finished) rather than fail the request.
      const limit = await maxModelLen(pool, endpoint, signal, http);
      const fitted =
        limit === undefined
          ? { input: request.prompt, maxTokens: request.maxTokens, dropped: 0 }
          : fitContext(request.prompt, promptTokens, limit, request.maxTokens);
      if (fitted === undefined) return endedBranch(request.n);
      // vLLM refuses n > 1 with greedy sampling (400): greedy has one answer, so ask for one
      // and give it n times.
      const greedy = request.temperature === 0 && request.n > 1;
      const body = {
        model: pool.model,
        ...render(fitted.input),
        n: greedy ? 1 : request.n,
        max_tokens: fitted.maxTokens,
        temperature: request.temperature,
        // Sent explicitly: vLLM otherwise takes them from the model's generation_config.json.
        top_p: format.topP,
        top_k: format.topK,
        seed: request.seed,
        // Keep the delimiter in the text so steps concatenate back into the solution verbatim.
        include_stop_str_in_output: true,
        ...(request.stopAtStepEnd ? { stop: [format.stepDelimiter] } : {}),
      };
      const url = `${endpoint}${path}`;
      const result = parseCompletion(
        url,
        await postJson(url, body, signal, http),
        body.n,
        request.stopAtStepEnd,
      );
      if (!greedy) return result;
      const [one] = result.completions;
      return {
        ...result,
        completions: Array.from({ length: request.n }, (_, i) => ({
          ...(one ?? { text: "", finished: true }),
          // The one sample's tokens were generated once.
          completionTokens: i === 0 ? (one?.completionTokens ?? 0) : 0,
        })),
      };
    });
  }
}

// A branch whose prompt no longer fits the context: n empty, finished samples. The engine ends
// the beam (a continuation that adds no step finishes it) and answers from the rest.
function endedBranch(n: number): GenerateResult {
  return {
    promptTokens: 0,
    completions: Array.from({ length: n }, () => ({
      text: "",
      finished: true,
      completionTokens: 0,
    })),
  };
}

export function parseCompletion(
  url: string,
  raw: unknown,
  n: number,
  stepCall = false,
): GenerateResult {
  const response = raw as CompletionResponse;
  if (!Array.isArray(response?.choices)) throw new BadResponseError(url, "no choices array");
  if (response.choices.length !== n) {
    throw new BadResponseError(url, `asked for ${n} samples, got ${response.choices.length}`);
  }
  const choices = [...response.choices]
    .sort((a, b) => a.index - b.index)
    .map((c) => {
      // /v1/chat/completions puts the text in message.content.
      const text = typeof c?.text === "string" ? c.text : c?.message?.content;
      if (typeof text !== "string") throw new BadResponseError(url, "a choice has no text");
      return { ...c, text };
    });
  for (const [i, c] of choices.entries()) {
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
      finished: endsSolution(c, stepCall),
      ...(c.finish_reason === "length" ? { truncated: true } : {}),
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
// ends only a step; EOS (stop_reason null) or a stop token (an integer id: many instruct models
// stop on extra EOS ids from generation_config) end the solution. The length limit ends a call
// for a whole solution; on a call for one step it is a truncated step, not a finished solution.
export function endsSolution(
  choice: { finish_reason?: unknown; stop_reason?: unknown },
  stepCall = false,
): boolean {
  if (choice.finish_reason === "length") return !stepCall;
  return !(choice.finish_reason === "stop" && typeof choice.stop_reason === "string");
}
