// POST /pooling as vLLM serves a PRM with --runner pooling and task "token_classify": one row of
// label probabilities per step-tag token in each input, in the label order of the sim's verifier
// format (positiveIndex: where P(correct) sits; [neg, pos] for Qwen2.5-Math-PRM).
import { randomBytes } from "node:crypto";
import { type ApiError, apiError, checkModel } from "./api-error.ts";
import type { SimFormat } from "./format.ts";
import type { ModelConfig } from "./model-config.ts";
import { stepScores } from "./prm.ts";
import { problemFrom } from "./problem.ts";
import { parseVerifierInput } from "./prompt-parse.ts";
import { countTokens } from "./tokens.ts";

export interface PoolingResponse {
  id: string;
  object: "list";
  created: number;
  model: string;
  data: { index: number; object: "pooling"; data: number[][] }[];
  usage: {
    prompt_tokens: number;
    total_tokens: number;
    completion_tokens: 0;
    prompt_tokens_details: null;
  };
}

// vLLM 0.33's pooling tasks for a PRM: only token_classify (or no task, which means the
// model's own); "encode" is rejected and "reward"/"step_reward" are not tasks.
const TASKS = new Set(["token_classify"]);

export function parsePoolingRequest(body: unknown, served: string): string[] | ApiError {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return apiError(400, "The request body must be a JSON object.");
  }
  const b = body as Record<string, unknown>;
  const missingModel = checkModel(b.model, served);
  if (missingModel) return missingModel;
  if (b.task !== undefined && b.task !== null && !TASKS.has(String(b.task))) {
    return apiError(400, `Task ${String(b.task)} is not supported by this model.`, "task");
  }
  const input = b.input;
  const inputs = typeof input === "string" ? [input] : input;
  if (
    !Array.isArray(inputs) ||
    inputs.length === 0 ||
    !inputs.every((s) => typeof s === "string")
  ) {
    return apiError(400, "input must be a string or a non-empty list of strings.", "input");
  }
  return inputs as string[];
}

// The PRM's rows (one per step tag, P(correct) at the format's positive index) and the tokens
// of each input: what both the HTTP handler and in-process callers get.
export function scoreInputs(
  inputs: readonly string[],
  config: ModelConfig,
  formats: readonly SimFormat[],
): { rows: number[][][]; tokens: number[] } {
  const tokens = inputs.map(countTokens);
  const rows = inputs.map((input) => {
    const { problem, steps, format } = parseVerifierInput(input, formats);
    const positive = (format ?? formats[0])?.data.verifier.positiveIndex ?? 1;
    return stepScores(problemFrom(problem, config), steps, config).map((p) =>
      positive === 0 ? [p, 1 - p] : [1 - p, p],
    );
  });
  return { rows, tokens };
}

export function pool(
  inputs: readonly string[],
  model: string,
  config: ModelConfig,
  formats: readonly SimFormat[],
): { response: PoolingResponse; tokens: number[] } {
  const { rows, tokens } = scoreInputs(inputs, config, formats);
  const data = rows.map((steps, index) => ({ index, object: "pooling" as const, data: steps }));
  const total = tokens.reduce((a, b) => a + b, 0);
  return {
    response: {
      id: `pool-${randomBytes(16).toString("hex")}`,
      object: "list",
      created: Math.floor(Date.now() / 1000),
      model,
      data,
      usage: {
        prompt_tokens: total,
        total_tokens: total,
        completion_tokens: 0,
        prompt_tokens_details: null,
      },
    },
    tokens,
  };
}
