// One token counter for prompts, completions, usage and metrics, so that every number the sim
// reports agrees. Roughly four characters per token, as for English text with a BPE tokenizer.
export const CHARS_PER_TOKEN = 4;

export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

// The longest prefix of `text` that fits in `maxTokens`.
export function truncateToTokens(text: string, maxTokens: number): string {
  return text.slice(0, Math.max(0, maxTokens) * CHARS_PER_TOKEN);
}
