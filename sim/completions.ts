// POST /v1/completions as vLLM serves it: validation, sampling and the response body. Pure
// (no I/O, no timing): the server adds the batching delay and the metrics around it.
import { randomBytes, randomInt } from "node:crypto";
import type { PromptTemplates } from "../router/engine/prompts.ts";
import { type ApiError, apiError, checkModel } from "./api-error.ts";
import type { ModelConfig } from "./model-config.ts";
import { problemFrom } from "./problem.ts";
import { parsePrompt } from "./prompt-parse.ts";
import { hash32, rngFrom } from "./random.ts";
import { continueSolution } from "./solution.ts";
import { countTokens, truncateToTokens } from "./tokens.ts";

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
  stop_reason: string | null;
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
  return { text, finish_reason: "stop", stop_reason: null };
}

// Where unseeded requests get their randomness: fresh entropy unless the replica was started
// with a seed of its own (a reproducible run).
export type SeedSource = () => number;

export const entropy: SeedSource = () => randomInt(0, 2 ** 32 - 1);

function sampleSeed(prompt: string, params: CompletionParams, index: number, fallback: SeedSource) {
  // Greedy decoding has one answer per prompt; a seed fixes the sample per (prompt, choice).
  if (params.temperature === 0) return hash32(prompt, "greedy");
  if (params.seed !== undefined) return hash32(prompt, "seed", params.seed, index);
  return fallback();
}

export function complete(
  params: CompletionParams,
  model: string,
  config: ModelConfig,
  templates: PromptTemplates,
  fallbackSeed: SeedSource = entropy,
): { response: CompletionResponse; promptTokens: number[]; completionTokens: number[] } {
  const choices: Choice[] = [];
  const promptTokens: number[] = [];
  const completionTokens: number[] = [];
  params.prompts.forEach((prompt, p) => {
    const parsed = parsePrompt(prompt, templates);
    const problem = problemFrom(parsed.problem, config);
    const tokens = countTokens(prompt);
    for (let i = 0; i < params.n; i++) {
      const rng = rngFrom(sampleSeed(prompt, params, i, fallbackSeed));
      const steps = continueSolution(problem, parsed.steps, rng, config, parsed.attempts);
      const delimiter = templates.stepDelimiter;
      const lead = parsed.endsOnBoundary || steps.length === 0 ? "" : delimiter;
      const text = lead + steps.join(delimiter);
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
