// Qwen/Qwen2.5-Math-PRM-7B (and -72B): trained on its chat format, as its model card and vLLM's
// own test (tests/models/language/pooling/test_reward.py) write it: a system message, the question
// as the user turn, the steps joined by <extra_0> as the assistant turn, rendered by Qwen2.5's
// ChatML template. vLLM's pooler returns [P(neg), P(pos)] at each <extra_0> (step_tag_id is set
// automatically for this architecture).
import type { VerifierFormat } from "./verifier.ts";

export const QWEN_PRM_SYSTEM =
  "Please reason step by step, and put your final answer within \\boxed{}.";
const STEP_TAG = "<extra_0>";

const turn = (role: string, content: string) => `<|im_start|>${role}\n${content}<|im_end|>\n`;

export const qwenMathPrm: VerifierFormat = {
  name: "qwen2.5-math-prm",
  stepTag: STEP_TAG,
  positiveIndex: 1,
  input: (problem, steps) =>
    turn("system", QWEN_PRM_SYSTEM) +
    turn("user", problem) +
    turn("assistant", steps.map((s) => s + STEP_TAG).join("")),
};
