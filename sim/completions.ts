// POST /v1/completions as vLLM serves it: validation, sampling and the response body. Pure
// (no I/O, no timing): the server adds the batching delay and the metrics around it.
import { randomBytes, randomInt } from "node:crypto";
import { type ApiError, apiError, checkModel } from "./api-error.ts";
import { type ChatMessage, chatText, type SimFormat } from "./format.ts";
import type { ModelConfig } from "./model-config.ts";
import { problemFrom } from "./problem.ts";
import { parsePrompt } from "./prompt-parse.ts";
import { hash32, rngFrom } from "./random.ts";
import { solutionSteps } from "./solution.ts";
import { CHARS_PER_TOKEN, countTokens, truncateToTokens } from "./tokens.ts";

export interface CompletionParams {
  prompts: string[];
  n: number;
  maxTokens: number;
  temperature: number;
  seed: number | undefined;
  stop: string[];
  includeStop: boolean;
}

export interface Choice {
  index: number;
  text: string;
  logprobs: null;
  finish_reason: "stop" | "length";
  stop_reason: string | number | null;
  prompt_logprobs: null;
}

export interface CompletionResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: Choice[];
  usage: {
    prompt_tokens: number;
    total_tokens: number;
    completion_tokens: number;
    prompt_tokens_details: null;
  };
}

// vLLM's default when a request gives no max_tokens.
const DEFAULT_MAX_TOKENS = 16;
const MAX_N = 1024;

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

export function parseCompletionRequest(body: unknown, served: string): CompletionParams | ApiError {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return apiError(400, "The request body must be a JSON object.");
  }
  const b = body as Record<string, unknown>;
  const missingModel = checkModel(b.model, served);
  if (missingModel) return missingModel;
  if (b.stream === true)
    return apiError(400, "Streaming is not supported by the simulator.", "stream");
  const prompt = b.prompt;
  const prompts = typeof prompt === "string" ? [prompt] : prompt;
  if (
    !Array.isArray(prompts) ||
    prompts.length === 0 ||
    !prompts.every((p) => typeof p === "string")
  ) {
    return apiError(400, "prompt must be a string or a non-empty list of strings.", "prompt");
  }
  const n = b.n ?? 1;
  if (!isInt(n) || n < 1 || n > MAX_N)
    return apiError(400, `n must be at least 1, got ${String(n)}.`, "n");
  const maxTokens = b.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (!isInt(maxTokens) || maxTokens < 1) {
    return apiError(400, `max_tokens must be at least 1, got ${String(maxTokens)}.`, "max_tokens");
  }
  const temperature = b.temperature ?? 1;
  if (typeof temperature !== "number" || temperature < 0) {
    return apiError(
      400,
      `temperature must be non-negative, got ${String(temperature)}.`,
      "temperature",
    );
  }
  // vLLM's SamplingParams: greedy sampling has one answer, so it refuses n > 1.
  if (temperature === 0 && n > 1) {
    return apiError(400, `n must be 1 when using greedy sampling, got ${n}.`);
  }
  const seed = b.seed ?? undefined;
  if (seed !== undefined && !isInt(seed)) return apiError(400, "seed must be an integer.", "seed");
  const stopRaw = b.stop ?? [];
  const stop = typeof stopRaw === "string" ? [stopRaw] : stopRaw;
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string")) {
    return apiError(400, "stop must be a string or a list of strings.", "stop");
  }
  return {
    prompts: prompts as string[],
    n,
    maxTokens,
    temperature,
    seed,
    stop: (stop as string[]).filter((s) => s !== ""),
    includeStop: b.include_stop_str_in_output === true,
  };
}

// vLLM stops at the first stop string in the output, or at max_tokens, whichever comes first;
// a solution that runs to its end finishes with EOS (stop_reason null).
function finish(
  text: string,
  params: CompletionParams,
): Omit<Choice, "index" | "logprobs" | "prompt_logprobs"> {
  let at = -1;
  let matched = "";
  for (const s of params.stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at || (i === at && s.length > matched.length))) {
      at = i;
      matched = s;
    }
  }
  if (at >= 0 && countTokens(text.slice(0, at + matched.length)) <= params.maxTokens) {
    return {
      text: text.slice(0, params.includeStop ? at + matched.length : at),
      finish_reason: "stop",
      stop_reason: matched,
    };
  }
  if (countTokens(text) > params.maxTokens) {
    return {
      text: truncateToTokens(text, params.maxTokens),
      finish_reason: "length",
      stop_reason: null,
    };
  }
  // The end of the turn. Instruct models stop on extra EOS ids from generation_config (merged
  // into vLLM's stop token ids), which vLLM reports as the integer id: about half the natural
  // ends arrive that way, the rest as the tokenizer's EOS (null).
  const stopToken = hash32(text, "eos") % 2 === 0 ? EXTRA_EOS_TOKEN_ID : null;
  return { text, finish_reason: "stop", stop_reason: stopToken };
}

// Llama-3's <|end_of_text|>, one of the eos_token_id entries of its generation_config.
const EXTRA_EOS_TOKEN_ID = 128001;

// Where unseeded requests get their randomness: fresh entropy unless the replica was started
// with a seed of its own (a reproducible run).
export type SeedSource = () => number;

export const entropy: SeedSource = () => randomInt(0, 2 ** 32 - 1);

// `promptHash` is hash32(prompt), taken once per prompt rather than once per choice.
function sampleSeed(
  promptHash: number,
  params: CompletionParams,
  index: number,
  fallback: SeedSource,
) {
  // Greedy decoding has one answer per prompt. A seed fixes the sample per (prompt, seed): as in
  // vLLM, choice i of a request with seed s is a child request with seed s + i, so it equals
  // choice 0 of the same prompt with seed s + i.
  if (params.temperature === 0) return hash32(promptHash, "greedy");
  if (params.seed !== undefined) return hash32(promptHash, "seed", params.seed + index);
  return fallback();
}

// The sampled choices of a request and the tokens of each: what both the HTTP handler and the
// in-process proposer (calibrate/in-process.ts) return, so the two can never disagree.
export interface Sampled {
  choices: Choice[];
  // Per choice: the prompt it continued and the tokens it generated (at least 1, as vLLM counts).
  promptTokens: number[];
  completionTokens: number[];
}

export function sampleChoices(
  params: CompletionParams,
  config: ModelConfig,
  formats: readonly SimFormat[],
  fallbackSeed: SeedSource = entropy,
): Sampled {
  const choices: Choice[] = [];
  const promptTokens: number[] = [];
  const completionTokens: number[] = [];
  params.prompts.forEach((prompt, p) => {
    const parsed = parsePrompt(prompt, formats);
    // A bare question is answered in the model's own (first) format's style.
    const delimiter = (parsed.format ?? formats[0])?.data.prompt.stepDelimiter ?? "\n\n";
    const problem = problemFrom(parsed.problem, config);
    const tokens = countTokens(prompt);
    const promptHash = hash32(prompt);
    for (let i = 0; i < params.n; i++) {
      const rng = rngFrom(sampleSeed(promptHash, params, i, fallbackSeed));
      const draw = solutionSteps(problem, parsed.steps, rng, config, parsed.attempts);
      const lead = parsed.endsOnBoundary ? "" : delimiter;
      const text = drawText(draw, lead, delimiter, params);
      const choice = {
        index: p * params.n + i,
        logprobs: null,
        prompt_logprobs: null,
        ...finish(text, params),
      };
      choices.push(choice);
      promptTokens.push(tokens);
      completionTokens.push(Math.max(1, countTokens(choice.text)));
    }
  });
  return { choices, promptTokens, completionTokens };
}

// Joins drawn steps into the completion text, drawing only as far as `finish` can look: once a
// stop string has matched where no later text could move the match, or the text is past
// max_tokens by more than the longest stop string, the rest of the solution cannot change the
// answer. (A step search asks for one step at a time; drawing the whole solution each time
// would cost as many steps again as the solution has left.)
function drawText(
  draw: Iterable<string>,
  lead: string,
  delimiter: string,
  params: CompletionParams,
): string {
  const longest = params.stop.reduce((m, s) => Math.max(m, s.length), 0);
  const limit = params.maxTokens * CHARS_PER_TOKEN + longest;
  let text = "";
  let first = true;
  for (const step of draw) {
    text += (first ? lead : delimiter) + step;
    first = false;
    if (text.length > limit) break;
    if (params.stop.some((s) => settledMatch(text, s, longest))) break;
  }
  return text;
}

// A match of `stop` that no further text can precede: any match starting earlier would lie
// wholly inside the text already drawn.
function settledMatch(text: string, stop: string, longest: number): boolean {
  const at = text.indexOf(stop);
  return at >= 0 && at + longest <= text.length;
}

export function complete(
  params: CompletionParams,
  model: string,
  config: ModelConfig,
  formats: readonly SimFormat[],
  fallbackSeed: SeedSource = entropy,
): { response: CompletionResponse; promptTokens: number[]; completionTokens: number[] } {
  const { choices, promptTokens, completionTokens } = sampleChoices(
    params,
    config,
    formats,
    fallbackSeed,
  );
  const promptTotal = params.prompts.reduce((sum, p) => sum + countTokens(p), 0);
  const completionTotal = completionTokens.reduce((a, b) => a + b, 0);
  return {
    response: {
      id: `cmpl-${randomBytes(16).toString("hex")}`,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices,
      usage: {
        prompt_tokens: promptTotal,
        total_tokens: promptTotal + completionTotal,
        completion_tokens: completionTotal,
        prompt_tokens_details: null,
      },
    },
    promptTokens,
    completionTokens,
  };
}

// POST /v1/chat/completions: the messages become the model's text through its chat template,
// as vLLM renders them (add_generation_prompt, continue_final_message), then sample as above.
export function parseChatRequest(
  body: unknown,
  served: string,
  formats: readonly SimFormat[],
): CompletionParams | ApiError {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return apiError(400, "The request body must be a JSON object.");
  }
  const b = body as Record<string, unknown>;
  const format = formats.find((f) => f.chat !== undefined);
  if (format === undefined) {
    return apiError(
      400,
      "As of transformers v4.44, default chat template is no longer allowed, so you must provide a chat template if the tokenizer does not define one.",
    );
  }
  const messages = b.messages;
  if (
    !Array.isArray(messages) ||
    messages.length === 0 ||
    !messages.every((m) => typeof m?.role === "string" && typeof m?.content === "string")
  ) {
    return apiError(
      400,
      "messages must be a non-empty list of {role, content} with text content.",
      "messages",
    );
  }
  const addGenerationPrompt = b.add_generation_prompt ?? true;
  const continueFinal = b.continue_final_message ?? false;
  if (addGenerationPrompt === true && continueFinal === true) {
    return apiError(
      400,
      "Cannot set both `continue_final_message` and `add_generation_prompt` to True.",
    );
  }
  let text: string;
  try {
    text = chatText(
      format,
      messages as ChatMessage[],
      addGenerationPrompt === true,
      continueFinal === true,
    );
  } catch (error) {
    return apiError(400, (error as Error).message, "messages");
  }
  return parseCompletionRequest(
    { ...b, prompt: text, max_tokens: b.max_completion_tokens ?? b.max_tokens },
    served,
  );
}

export interface ChatCompletionResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: "assistant"; content: string; reasoning_content: null; tool_calls: [] };
    logprobs: null;
    finish_reason: Choice["finish_reason"];
    stop_reason: Choice["stop_reason"];
  }[];
  usage: CompletionResponse["usage"];
}

// vLLM's chat response for the same samples: the text moves into message.content.
export function asChat(response: CompletionResponse): ChatCompletionResponse {
  return {
    id: `chatcmpl-${response.id.slice("cmpl-".length)}`,
    object: "chat.completion",
    created: response.created,
    model: response.model,
    choices: response.choices.map((c) => ({
      index: c.index,
      message: { role: "assistant", content: c.text, reasoning_content: null, tool_calls: [] },
      logprobs: null,
      finish_reason: c.finish_reason,
      stop_reason: c.stop_reason,
    })),
    usage: response.usage,
  };
}
