// The router's answers in OpenAI's shapes. Pure: a SolveResponse becomes a chat.completion or a
// text_completion; each SolveEvent of a stream becomes one chunk. Everything OpenAI has no field
// for (the bin, the strategy and config that ran, usage per role, the score, partial) goes in a
// `mull` object beside the standard fields, so OpenAI clients read the answer as usual and
// Mull-aware ones read the rest.
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import type {
  Candidate,
  SolveEvent,
  SolveResponse,
  StrategyConfig,
  Usage,
} from "../../proto/gen/mull/v1/router_pb.ts";
import { strategyName } from "../engine/table.ts";
import type { CompletionKind } from "./openai-request.ts";

// What every body of one request shares: its id, creation time (Unix seconds) and model.
export interface ResponseHead {
  kind: CompletionKind;
  id: string;
  created: number;
  model: string;
}

export function responseHead(kind: CompletionKind, requestId: string, model: string): ResponseHead {
  return {
    kind,
    id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${requestId}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

// partial: the deadline or the token bound cut the search; the answer is the best so far.
function finishReason(response: SolveResponse): "stop" | "length" {
  return response.partial ? "length" : "stop";
}

export function completionBody(head: ResponseHead, response: SolveResponse) {
  const text = response.solution;
  const choice =
    head.kind === "chat"
      ? {
          index: 0,
          message: { role: "assistant", content: text, refusal: null },
          logprobs: null,
          finish_reason: finishReason(response),
        }
      : { index: 0, text, logprobs: null, finish_reason: finishReason(response) };
  return {
    id: head.id,
    object: head.kind === "chat" ? "chat.completion" : "text_completion",
    created: head.created,
    model: head.model,
    choices: [choice],
    usage: openaiUsage(response.usage),
    mull: mullResult(response),
  };
}

// One streamed event as a chunk. Progress has an empty delta and its content in `mull`; the final
// event carries the answer as the delta and finishes the choice.
export function eventChunk(head: ResponseHead, event: SolveEvent, includeUsage: boolean) {
  if (event.event.case === "final") {
    const response = event.event.value;
    return chunk(head, response.solution, finishReason(response), includeUsage, {
      event: "final",
      ...mullResult(response),
    });
  }
  return chunk(head, undefined, null, includeUsage, progress(event));
}

// The first chunk: the assistant's role, sent as soon as the request holds a slot.
export function roleChunk(head: ResponseHead, includeUsage: boolean) {
  return chunk(head, "", null, includeUsage, undefined);
}

// stream_options.include_usage: the last chunk before [DONE], with no choices.
export function usageChunk(head: ResponseHead, response: SolveResponse) {
  return {
    id: head.id,
    object: chunkObject(head),
    created: head.created,
    model: head.model,
    choices: [],
    usage: openaiUsage(response.usage),
  };
}

function chunk(
  head: ResponseHead,
  content: string | undefined,
  finish: "stop" | "length" | null,
  includeUsage: boolean,
  mull: Record<string, unknown> | undefined,
) {
  const choice =
    head.kind === "chat"
      ? {
          index: 0,
          delta:
            content === undefined
              ? {}
              : content === ""
                ? { role: "assistant", content }
                : { content },
          logprobs: null,
          finish_reason: finish,
        }
      : { index: 0, text: content ?? "", logprobs: null, finish_reason: finish };
  return {
    id: head.id,
    object: chunkObject(head),
    created: head.created,
    model: head.model,
    choices: [choice],
    ...(includeUsage ? { usage: null } : {}),
    ...(mull ? { mull } : {}),
  };
}

const chunkObject = (head: ResponseHead) =>
  head.kind === "chat" ? "chat.completion.chunk" : "text_completion";

function progress(event: SolveEvent): Record<string, unknown> {
  const e = event.event;
  switch (e.case) {
    case "difficulty":
      return {
        event: "difficulty",
        bin: e.value.bin,
        difficulty_score: e.value.difficultyScore,
        strategy: strategyOf(e.value.config),
        config: configJson(e.value.config),
        budget_level: e.value.budgetLevel,
        stepped_down: e.value.steppedDown,
      };
    case "step":
      return {
        event: "step",
        step: e.value.step,
        active: e.value.active,
        best_score: e.value.bestScore,
      };
    case "candidate":
      return { event: "candidate", answer: e.value.answer, score: e.value.score };
    default:
      return { event: "unknown" };
  }
}

// OpenAI's usage counts the proposer: it is the model that wrote the text. The verifier's tokens
// are in mull.usage.
function openaiUsage(usage: Usage | undefined) {
  const prompt = Number(usage?.proposerPromptTokens ?? 0n);
  const completion = Number(usage?.proposerCompletionTokens ?? 0n);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function mullResult(r: SolveResponse) {
  return {
    request_id: r.requestId,
    answer: r.answer,
    bin: r.bin,
    difficulty_score: r.difficultyScore,
    strategy: strategyOf(r.config),
    config: configJson(r.config),
    budget_level: r.budgetLevel,
    usage: {
      generations: r.usage?.generations ?? 0,
      proposer_prompt_tokens: Number(r.usage?.proposerPromptTokens ?? 0n),
      proposer_completion_tokens: Number(r.usage?.proposerCompletionTokens ?? 0n),
      verifier_tokens: Number(r.usage?.verifierTokens ?? 0n),
      backend_calls: r.usage?.backendCalls ?? 0,
    },
    score: r.score,
    partial: r.partial,
    stopped_early: r.stoppedEarly,
    stepped_down: r.steppedDown,
    ...(r.candidates.length > 0 ? { candidates: r.candidates.map(candidateJson) } : {}),
  };
}

const strategyOf = (config: StrategyConfig | undefined) =>
  strategyName(config?.strategy ?? 0) ?? null;

function configJson(c: StrategyConfig | undefined) {
  if (c === undefined) return null;
  return {
    strategy: strategyOf(c),
    generations: c.generations,
    beam_width: c.beamWidth,
    lookahead: c.lookahead,
    sequential_ratio: c.sequentialRatio,
    max_steps: c.maxSteps,
  };
}

function candidateJson(c: Candidate) {
  return { answer: c.answer, solution: c.solution, score: c.score, step_scores: c.stepScores };
}

// GET /v1/models: each policy is a model. Its id is the name a request uses; the namespace is
// the owner (a request may also say <namespace>/<policy>).
export function modelsBody(policies: readonly PolicySnapshot[], created: number) {
  return {
    object: "list",
    data: policies.map((p) => ({
      id: p.name,
      object: "model",
      created,
      owned_by: p.namespace || "mull",
      mull: { namespace: p.namespace, bins: p.bins, generation: Number(p.generation) },
    })),
  };
}
