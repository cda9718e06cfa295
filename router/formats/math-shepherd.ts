// peiyi9979/math-shepherd-mistral-7b-prm: the question, a space, then the steps each ending in
// " ки" and separated by a newline, as its model card feeds it. The operator serves it with
// vLLM's STEP pooler at the ки token returning the "+" and "-" tokens' probabilities, in that
// order (controller/desired/pooler.ts), so P(correct) is entry 0.
import type { VerifierFormat } from "./verifier.ts";

const STEP_TAG = " ки";

export const mathShepherd: VerifierFormat = {
  name: "math-shepherd",
  stepTag: STEP_TAG,
  positiveIndex: 0,
  input: (problem, steps) => `${problem} ${steps.map((s) => s + STEP_TAG).join("\n")}`,
};
