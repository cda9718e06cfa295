// The sim's proposer and verifier as the engine's backend interfaces, called in process: the
// same functions the HTTP handlers call (sampleChoices, scoreInputs), with the request the
// router's vLLM and PRM clients would send, but no sockets, JSON or batching delay. Calibration
// runs the engine's real strategies on these; a test checks they answer exactly as HTTP does.
import { endsSolution } from "../router/backends/vllm-proposer.ts";
import type {
  GenerateRequest,
  GenerateResult,
  Proposer,
  ScoreRequest,
  ScoreResult,
  Verifier,
} from "../router/engine/backend.ts";
import {
  DEFAULT_TEMPLATES,
  type PromptTemplates,
  verifierInput,
} from "../router/engine/prompts.ts";
import { type CompletionParams, sampleChoices } from "./completions.ts";
import { DEFAULT_MODEL, type ModelConfig } from "./model-config.ts";
import { scoreInputs } from "./pooling.ts";
import { countTokens } from "./tokens.ts";

export interface InProcessOptions {
  config?: ModelConfig;
  templates?: PromptTemplates;
}

// The completion parameters of the body router/backends/vllm-proposer.ts posts: the stop
// string is the step delimiter, kept in the output, only when one step is wanted.
export function completionParams(request: GenerateRequest, t: PromptTemplates): CompletionParams {
  return {
    prompts: [request.prompt],
    n: request.n,
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    seed: request.seed,
    stop: request.stopAtStepEnd ? [t.stepDelimiter] : [],
    includeStop: true,
  };
}

export class InProcessProposer implements Proposer {
  readonly #config: ModelConfig;
  readonly #templates: PromptTemplates;

  constructor(options: InProcessOptions = {}) {
    this.#config = options.config ?? DEFAULT_MODEL;
    this.#templates = options.templates ?? DEFAULT_TEMPLATES;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    request.signal.throwIfAborted();
    const params = completionParams(request, this.#templates);
    const { choices, completionTokens } = sampleChoices(params, this.#config, this.#templates);
    return {
      // vLLM's usage counts the prompt once per request, not once per sample.
      promptTokens: countTokens(request.prompt),
      completions: choices.map((c, i) => ({
        text: c.text,
        // As the vLLM client reads a choice.
        finished: endsSolution(c),
        completionTokens: completionTokens[i] ?? 0,
      })),
    };
  }
}

export class InProcessVerifier implements Verifier {
  readonly #config: ModelConfig;
  readonly #templates: PromptTemplates;

  constructor(options: InProcessOptions = {}) {
    this.#config = options.config ?? DEFAULT_MODEL;
    this.#templates = options.templates ?? DEFAULT_TEMPLATES;
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    request.signal.throwIfAborted();
    // Through the verifier's text format, so the PRM reads exactly what /pooling would.
    const inputs = request.solutions.map((steps) =>
      verifierInput(this.#templates, request.problem, steps),
    );
    const { scores, tokens } = scoreInputs(inputs, this.#config, this.#templates);
    return { stepScores: scores, tokens: tokens.reduce((a, b) => a + b, 0) };
  }
}
