// The verifier over vLLM's pooling API: a process reward model served with `--runner pooling`
// answers POST /pooling {task: "token_classify"} with, per input, one row of label probabilities
// for each step-tag token (Qwen2.5-Math-PRM's <extra_0>: [neg, pos]). The policy's verifier
// format (router/formats) builds the input text and says which entry is the step's reward.
// Several solutions go in one call (input as a list); large batches are split so one call
// stays within the server's batch limits.
import type { ScoreRequest, ScoreResult, Verifier } from "../engine/backend.ts";
import type { VerifierFormat } from "../formats/verifier.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import { BadResponseError, postJson } from "./http-json.ts";
import { type Affinity, type CallOptions, callPool } from "./pool-caller.ts";

interface PoolingResponse {
  data: { index: number; data: unknown }[];
  usage?: { prompt_tokens?: number };
}

export interface PrmVerifierOptions {
  pool: EndpointPool;
  affinity: Affinity;
  format: VerifierFormat;
  call: CallOptions;
  // Most solutions per /pooling call.
  maxBatch?: number;
}

export class PrmVerifier implements Verifier {
  private readonly options: PrmVerifierOptions;

  constructor(options: PrmVerifierOptions) {
    this.options = options;
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    const maxBatch = this.options.maxBatch ?? 64;
    const batches: string[][][] = [];
    for (let i = 0; i < request.solutions.length; i += maxBatch) {
      batches.push(request.solutions.slice(i, i + maxBatch));
    }
    const results = await Promise.all(batches.map((b) => this.scoreBatch(request, b)));
    return {
      stepScores: results.flatMap((r) => r.stepScores),
      tokens: results.reduce((sum, r) => sum + r.tokens, 0),
    };
  }

  private scoreBatch(request: ScoreRequest, solutions: string[][]): Promise<ScoreResult> {
    const { pool, affinity, format, call } = this.options;
    if (solutions.length === 0) return Promise.resolve({ stepScores: [], tokens: 0 });
    const body = {
      model: pool.model,
      task: "token_classify",
      input: solutions.map((steps) => format.input(request.problem, steps)),
    };
    return callPool(pool, affinity, request.signal, call, async (endpoint, signal, http) => {
      const url = `${endpoint}/pooling`;
      const raw = await postJson(url, body, signal, http);
      return parsePooling(
        url,
        raw,
        solutions.map((s) => s.length),
        format.positiveIndex,
      );
    });
  }
}

export function parsePooling(
  url: string,
  raw: unknown,
  stepCounts: readonly number[],
  positiveIndex = 1,
): ScoreResult {
  const response = raw as PoolingResponse;
  if (!Array.isArray(response?.data)) throw new BadResponseError(url, "no data array");
  if (response.data.length !== stepCounts.length) {
    throw new BadResponseError(
      url,
      `sent ${stepCounts.length} inputs, got ${response.data.length} results`,
    );
  }
  const items = [...response.data].sort((a, b) => a.index - b.index);
  const stepScores = items.map((item, i) => {
    if (item?.index !== i) throw new BadResponseError(url, "result indexes are not 0..n-1");
    const rows = toRows(item.data);
    if (rows === undefined || rows.some((row) => row.length <= positiveIndex)) {
      throw new BadResponseError(
        url,
        `result ${i} is not rows of label probabilities with an entry ${positiveIndex}`,
      );
    }
    // Softmaxed label probabilities: anything outside [0, 1] (1e300, a raw logit) is a server
    // that is not doing what the PRM format says, and would dominate every vote.
    if (!rows.every((row) => row.every((p) => p >= 0 && p <= 1))) {
      throw new BadResponseError(url, `result ${i} has a score outside [0, 1]`);
    }
    const expected = stepCounts[i] ?? 0;
    if (rows.length !== expected) {
      // A step that itself contains the separator text would shift every score; refuse rather
      // than score the wrong steps.
      throw new BadResponseError(url, `result ${i} has ${rows.length} rows for ${expected} steps`);
    }
    return rows.map((row) => row[positiveIndex] as number);
  });
  const tokens = response.usage?.prompt_tokens ?? 0;
  if (!(Number.isInteger(tokens) && tokens >= 0)) {
    throw new BadResponseError(url, `usage.prompt_tokens is ${JSON.stringify(tokens)}`);
  }
  return { stepScores, tokens };
}

// [[neg, pos], ...]; tolerate the flattened [neg, pos, neg, pos, ...] form too.
function toRows(data: unknown): number[][] | undefined {
  if (!Array.isArray(data)) return undefined;
  if (data.every((row) => Array.isArray(row) && row.length >= 2 && row.every(isNumber))) {
    return data as number[][];
  }
  if (data.length % 2 === 0 && data.every(isNumber)) {
    const rows: number[][] = [];
    for (let i = 0; i < data.length; i += 2) rows.push([data[i] as number, data[i + 1] as number]);
    return rows;
  }
  return undefined;
}

const isNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
