// The simulated process reward model: one P(step is correct) per step. Noisy but informative;
// the noise is a function of the scored text, so scoring the same prefix twice gives the same
// number on any replica.
import type { ModelConfig } from "./model-config.ts";
import type { Problem } from "./problem.ts";
import { normal } from "./random.ts";
import { boxedAnswer, stepCorrect } from "./solution.ts";

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function stepScores(
  problem: Problem,
  steps: readonly string[],
  config: ModelConfig,
): number[] {
  const scores: number[] = [];
  let state = true;
  let prefix = "";
  steps.forEach((step, i) => {
    prefix += `${step}\n\n`;
    // A step the sim cannot read counts as wrong: a PRM distrusts off-format text.
    state = stepCorrect(problem, i + 1, step) ?? false;
    let z = (state ? 1 : -1) * (config.separation / 2);
    z += config.prmDifficultyTilt * (0.5 - problem.difficulty);
    z += config.prmNoise * normal(problem.text, prefix, "prm");
    const answer = boxedAnswer(step);
    if (answer !== undefined)
      z += config.prmAnswerBias * normal(problem.text, answer, "prm-answer");
    scores.push(sigmoid(z));
  });
  return scores;
}
