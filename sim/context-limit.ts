// vLLM's context limit (--max-model-len), as 0.11 enforces it: a completion whose prompt plus
// max_tokens exceeds the limit is a 400 before anything is generated (0.33 would lower
// max_tokens instead; the stricter rule is the one a client must survive), and a pooling input
// longer than the limit is a 400 too. The messages are vLLM's own.
import { type ApiError, apiError } from "./api-error.ts";
import { countTokens } from "./tokens.ts";

export const DEFAULT_MAX_MODEL_LEN = 4096;

export function checkCompletionContext(
  prompts: readonly string[],
  maxTokens: number,
  maxModelLen: number,
): ApiError | undefined {
  for (const prompt of prompts) {
    const input = countTokens(prompt);
    if (input + maxTokens > maxModelLen) {
      return apiError(
        400,
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
          `${input + maxTokens} tokens (${input} in the messages, ${maxTokens} in the ` +
          "completion). Please reduce the length of the messages or completion.",
      );
    }
  }
  return undefined;
}

export function checkPoolingContext(
  inputs: readonly string[],
  maxModelLen: number,
): ApiError | undefined {
  for (const input of inputs) {
    const tokens = countTokens(input);
    if (tokens > maxModelLen) {
      return apiError(
        400,
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
          `${tokens} tokens in the input for embedding generation. Please reduce the length of ` +
          "the input.",
      );
    }
  }
  return undefined;
}
