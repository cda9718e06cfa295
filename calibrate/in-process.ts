// The sim's proposer and verifier as the engine's backend interfaces, called in process: the
// router's own formats render each request exactly as its vLLM and PRM clients would, and the
// sim answers through the same functions its HTTP handlers call (sampleChoices, scoreInputs),
// without sockets, JSON or batching delay, so the engine's real strategies can be calibrated in
// seconds. A test checks that they answer exactly as HTTP does.
import { endsSolution } from "../router/backends/vllm-proposer.ts";
import type {
  GenerateRequest,
  GenerateResult,
  Proposer,
  ScoreRequest,
  ScoreResult,
  Verifier,
} from "../router/engine/backend.ts";
import type { ProposerFormat, VerifierFormat } from "../router/formats/index.ts";
import { chatPrompt, completionPrompt } from "../router/formats/prompt.ts";
import {
  type CompletionParams,
  parseChatRequest,
  parseCompletionRequest,
  sampleChoices,
} from "../sim/completions.ts";
import { DEFAULT_FORMATS, type SimFormat } from "../sim/format.ts";
import { DEFAULT_MODEL, type ModelConfig } from "../sim/model-config.ts";
import { scoreInputs } from "../sim/pooling.ts";
import { countTokens } from "../sim/tokens.ts";

export interface InProcessOptions {
  config?: ModelConfig;
  // What the simulated models understand (default: the sim's default format).
  simFormats?: readonly SimFormat[];
}

// The body router/backends/vllm-proposer.ts posts for a request, as the sim's handler parses it.
function completionParams(
  request: GenerateRequest,
  format: ProposerFormat,
  simFormats: readonly SimFormat[],
): CompletionParams {
  const body = {
    ...(format.mode === "chat"
      ? chatPrompt(format, request.prompt)
      : { prompt: completionPrompt(format, request.prompt) }),
    n: request.n,
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    seed: request.seed,
    include_stop_str_in_output: true,
    ...(request.stopAtStepEnd ? { stop: [format.stepDelimiter] } : {}),
  };
  const params =
    format.mode === "chat"
      ? parseChatRequest(body, "", simFormats)
      : parseCompletionRequest(body, "");
  if ("status" in params) throw new Error(`sim refused the request: ${params.body.error.message}`);
  return params;
}

export class InProcessProposer implements Proposer {
  readonly #config: ModelConfig;
  readonly #format: ProposerFormat;
  readonly #sim: readonly SimFormat[];

  constructor(format: ProposerFormat, options: InProcessOptions = {}) {
    this.#config = options.config ?? DEFAULT_MODEL;
    this.#format = format;
    this.#sim = options.simFormats ?? DEFAULT_FORMATS;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    request.signal.throwIfAborted();
    const params = completionParams(request, this.#format, this.#sim);
    const { choices, completionTokens } = sampleChoices(params, this.#config, this.#sim);
    return {
      // vLLM's usage counts the prompt once per request, not once per sample.
      promptTokens: countTokens(params.prompts[0] ?? ""),
      completions: choices.map((c, i) => ({
        text: c.text,
        // As the vLLM client reads a choice.
        finished: endsSolution(c, request.stopAtStepEnd),
        ...(c.finish_reason === "length" ? { truncated: true } : {}),
        completionTokens: completionTokens[i] ?? 0,
      })),
    };
  }
}

export class InProcessVerifier implements Verifier {
  readonly #config: ModelConfig;
  readonly #format: VerifierFormat;
  readonly #sim: readonly SimFormat[];

  constructor(format: VerifierFormat, options: InProcessOptions = {}) {
    this.#config = options.config ?? DEFAULT_MODEL;
    this.#format = format;
    this.#sim = options.simFormats ?? DEFAULT_FORMATS;
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    request.signal.throwIfAborted();
    // Through the verifier's text format, so the PRM reads exactly what /pooling would.
    const inputs = request.solutions.map((steps) => this.#format.input(request.problem, steps));
    const { rows, tokens } = scoreInputs(inputs, this.#config, this.#sim);
    return {
      stepScores: rows.map((r) => r.map((row) => row[this.#format.positiveIndex] ?? 0)),
      tokens: tokens.reduce((a, b) => a + b, 0),
    };
  }
}
