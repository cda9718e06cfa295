// An OpenAI chat or text completion request → the router's SolveRequest. Pure: no I/O, every
// problem is an INVALID_ARGUMENT with the field's name, so a client learns what to fix.
//
// The model names the policy. The problem is the last user message (chat) or the prompt
// (completions). Mull's own options travel in the `mull` field. Standard fields map where they
// fit (max_tokens / max_completion_tokens bound the proposer's completion tokens); the ones whose
// meaning Mull cannot keep (n > 1, tools, logprobs, echo, ...) are refused rather than silently
// dropped; sampling fields (temperature, top_p, seed, stop, ...) are ignored, because the
// policy's format and the engine own sampling.
import { create } from "@bufbuild/protobuf";
import {
  type SolveRequest,
  SolveRequestSchema,
  Strategy,
} from "../../proto/gen/mull/v1/router_pb.ts";
import { invalidArgument } from "../engine/errors.ts";
import { STRATEGY_NAMES, type StrategyName } from "../engine/table.ts";

export type CompletionKind = "chat" | "text";

export interface ParsedRequest {
  kind: CompletionKind;
  // The model exactly as the client named it, echoed in responses.
  model: string;
  solve: SolveRequest;
  stream: boolean;
  // stream_options.include_usage: a last chunk with the usage and no choices.
  includeUsage: boolean;
  // mull.timeout_ms, when set.
  timeoutMs: number | undefined;
}

const MULL_FIELDS = [
  "max_generations",
  "max_tokens",
  "difficulty_hint",
  "strategy",
  "candidates",
  "timeout_ms",
] as const;

// Fields whose meaning the router cannot honour: refusing them is better than an answer the
// client did not ask for.
const REFUSED: Record<string, (value: unknown) => boolean> = {
  tools: (v) => Array.isArray(v) && v.length > 0,
  functions: (v) => Array.isArray(v) && v.length > 0,
  logprobs: (v) => v !== undefined && v !== null && v !== false && v !== 0,
  top_logprobs: (v) => v !== undefined && v !== null && v !== 0,
  echo: (v) => v === true,
  suffix: (v) => typeof v === "string" && v !== "",
  best_of: (v) => v !== undefined && v !== null && v !== 1,
};

export function parseCompletionRequest(body: unknown, kind: CompletionKind): ParsedRequest {
  if (!isObject(body)) throw invalidArgument("the request body must be a JSON object");
  const model = body.model;
  if (typeof model !== "string" || model === "") {
    throw invalidArgument("model is required: the policy, as <policy> or <namespace>/<policy>");
  }
  for (const [field, refused] of Object.entries(REFUSED)) {
    if (refused(body[field])) throw invalidArgument(`${field} is not supported by Mull`);
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw invalidArgument("n must be 1: Mull returns one answer, chosen among its own samples");
  }
  const stream = optionalBoolean(body.stream, "stream") ?? false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) {
    throw invalidArgument("stream_options must be an object");
  }
  const includeUsage =
    optionalBoolean(streamOptions?.include_usage, "stream_options.include_usage") ?? false;

  const mull = body.mull ?? {};
  if (!isObject(mull)) throw invalidArgument("mull must be an object");
  for (const key of Object.keys(mull)) {
    if (!(MULL_FIELDS as readonly string[]).includes(key)) {
      throw invalidArgument(`mull has no field of that name; known: ${MULL_FIELDS.join(", ")}`);
    }
  }
  const maxTokens =
    positiveInteger(mull.max_tokens, "mull.max_tokens") ??
    positiveInteger(body.max_completion_tokens, "max_completion_tokens") ??
    positiveInteger(body.max_tokens, "max_tokens");
  const maxGenerations = positiveInteger(mull.max_generations, "mull.max_generations");
  const hint = positiveInteger(mull.difficulty_hint, "mull.difficulty_hint");
  const strategy = strategyOf(mull.strategy);
  const candidates = optionalBoolean(mull.candidates, "mull.candidates") ?? false;
  const timeoutMs = positiveInteger(mull.timeout_ms, "mull.timeout_ms");

  const solve = create(SolveRequestSchema, {
    policy: model,
    prompt: kind === "chat" ? lastUserMessage(body.messages) : promptText(body.prompt),
    budget: {
      maxGenerations: maxGenerations ?? 0,
      maxTokens: BigInt(maxTokens ?? 0),
    },
    strategy: strategy === undefined ? Strategy.STRATEGY_UNSPECIFIED : Strategy[strategy],
    includeCandidates: candidates,
    ...(hint !== undefined ? { difficultyHint: hint } : {}),
  });
  return { kind, model, solve, stream, includeUsage, timeoutMs };
}

// The problem of a chat: the last user message. Earlier turns and system messages are not the
// problem; the policy's own format supplies the system prompt.
function lastUserMessage(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidArgument("messages must be a non-empty array");
  }
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (!isObject(message)) throw invalidArgument(`messages[${i}] must be an object`);
    if (message.role !== "user") continue;
    return contentText(message.content, `messages[${i}].content`);
  }
  throw invalidArgument("messages has no user message: the last user message is the problem");
}

function contentText(content: unknown, where: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidArgument(`${where} must be a string or an array`);
  return content
    .map((part: unknown, i) => {
      if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
        throw invalidArgument(`${where}[${i}] must be a text part: only text is supported`);
      }
      return part.text;
    })
    .join("\n");
}

function promptText(prompt: unknown): string {
  if (typeof prompt === "string") return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") {
    return prompt[0];
  }
  throw invalidArgument("prompt must be one string (or an array of exactly one string)");
}

function strategyOf(value: unknown): StrategyName | undefined {
  if (value === undefined || value === null || value === "auto") return undefined;
  const name = STRATEGY_NAMES.find((n) => n === value);
  if (name === undefined) {
    throw invalidArgument(`mull.strategy must be one of: auto, ${STRATEGY_NAMES.join(", ")}`);
  }
  return name;
}

function positiveInteger(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw invalidArgument(`${field} must be a positive integer`);
  }
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidArgument(`${field} must be true or false`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
