// The simulated process reward model: one P(step is correct) per step. Informative but flawed
// in three ways a real PRM is:
//   - noise: fresh for every scored prefix, but a function of its text, so scoring the same
//     prefix twice gives the same number on any replica;
//   - blind spots: the harder the problem, the less a correct step stands out from a wrong one
//     (separation fades with difficulty), and some final answers it just likes more;
//   - a systematic bias: the problem's deceptive path (problem.ts) looks *better* than correct
//     to it, at every step. This is the spurious feature a step-wise search exploits.
import type { ModelConfig } from "./model-config.ts";
import type { Problem } from "./problem.ts";
import { hash32, normal } from "./random.ts";
import { boxedAnswer, type StepState, stepState } from "./solution.ts";

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

// The logit gap between a correct and a wrong step on this problem.
export function separationFor(problem: Problem, config: ModelConfig): number {
  return config.separation * (1 - config.separationFade * problem.difficulty);
}

export function stepScores(
  problem: Problem,
  steps: readonly string[],
  config: ModelConfig,
): number[] {
  const half = separationFor(problem, config) / 2;
  const tilt = config.prmDifficultyTilt * (0.5 - problem.difficulty);
  // The noise of a prefix is named by a running hash of its steps: the same as hashing the
  // whole prefix text, without rehashing it at every step.
  let prefix = hash32(problem.text, "prm");
  let path: StepState = "correct";
  return steps.map((step, i) => {
    prefix = hash32(prefix, step);
    const read = stepState(problem, i + 1, step);
    // A step the sim cannot read counts as wrong: a PRM distrusts off-format text.
    const state = read ?? "wrong";
    const answer = boxedAnswer(step);
    let z = half;
    if (state === "wrong") {
      // A slip is judged where it happens. The steps after it follow on from it consistently,
      // so they look only partly wrong (errorVisibility); the final answer is judged in full.
      const inherited = path !== "correct" && answer === undefined;
      z = inherited ? half - config.errorVisibility * 2 * half : -half;
    }
    if (state === "trap") z += config.trapBias;
    path = read ?? path;
    z += tilt + config.prmNoise * normal(prefix, "prm");
    if (answer !== undefined)
      z += config.prmAnswerBias * normal(problem.text, answer, "prm-answer");
    return sigmoid(z);
  });
}
