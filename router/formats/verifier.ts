// A PRM's input format: how one solution becomes the text /pooling scores, and how a returned
// row becomes P(step correct). vLLM's STEP pooler returns one row per step-tag token, so the
// input must carry the tag exactly once after every step and nowhere else.
export interface VerifierFormat {
  name: string;
  input(problem: string, steps: readonly string[]): string;
  // The tag after every step (a step that contains it would shift every score).
  stepTag: string;
  // Which entry of a returned row is P(step correct).
  positiveIndex: number;
}
