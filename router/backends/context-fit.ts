// Fitting a proposer call into the model's context (max_model_len): vLLM 0.11 answers 400 when
// prompt tokens + max_tokens exceed it. Format-agnostic: it takes the policy's own renderer.
//
// Token counts are an upper bound, not a tokenizer's count: a byte-level BPE token (Llama, Qwen)
// is at least one UTF-8 byte, so a text has at most as many tokens as bytes. Chat mode adds a
// bound on the template's own tokens per message. Conservative means some room is given away;
// never that vLLM sees a prompt longer than we counted.
import type { PromptInput } from "../engine/backend.ts";

// Role markers, separators and a generation prompt: more than any common chat template adds.
export const CHAT_TOKENS_PER_MESSAGE = 16;

export function tokenBound(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export interface Fitted {
  input: PromptInput;
  maxTokens: number;
  // Earlier attempts dropped (oldest first) to make room.
  dropped: number;
}

// The prompt with as many of the newest attempts as fit, and max_tokens clamped to the room
// left. Undefined when even with no attempts fewer than `minTokens` are left: that branch ends.
export function fitContext(
  input: PromptInput,
  promptTokens: (input: PromptInput) => number,
  maxModelLen: number,
  maxTokens: number,
  minTokens = 1,
): Fitted | undefined {
  for (let dropped = 0; dropped <= input.attempts.length; dropped++) {
    const trimmed = dropped === 0 ? input : { ...input, attempts: input.attempts.slice(dropped) };
    const room = maxModelLen - promptTokens(trimmed);
    if (room >= Math.min(minTokens, maxTokens)) {
      return { input: trimmed, maxTokens: Math.min(maxTokens, room), dropped };
    }
  }
  return undefined;
}
