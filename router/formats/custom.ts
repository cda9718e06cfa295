// Any other PRM, described by data rather than code: a template with {problem} and {steps},
// the step tag put after every step, and which label of a returned row means "correct". The
// operator passes vLLM the matching STEP --pooler-config when the policy gives the token ids.
// Without a verifier format a policy gets the plain input Mull has always sent:
// `{problem}\n\n{steps}` with its stepSeparator (default <extra_0>) and [neg, pos] rows.
import { fill } from "./fill.ts";
import type { VerifierFormat } from "./verifier.ts";

export const PLAIN_VERIFIER_TEMPLATE = "{problem}\n\n{steps}";
export const PLAIN_STEP_TAG = "<extra_0>";
export const DEFAULT_POSITIVE_INDEX = 1;

export function customVerifier(
  template: string,
  stepTag: string,
  positiveIndex: number,
  name = "custom",
): VerifierFormat {
  return {
    name,
    stepTag,
    positiveIndex,
    input: (problem, steps) =>
      fill(template, { problem, steps: steps.map((s) => s + stepTag).join("") }),
  };
}
