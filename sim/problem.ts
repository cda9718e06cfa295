// The latent truth behind any problem text: its difficulty, how many steps a solution takes,
// the correct value of every step, the correct answer and the few wrong answers a model tends
// to give. All of it is a pure function of the text, so every replica agrees.
import type { ModelConfig } from "./model-config.ts";
import { hash32, unit } from "./random.ts";

export interface Problem {
  text: string;
  difficulty: number;
  steps: number;
  answer: string;
  wrongAnswers: string[];
  wrongWeights: number[];
}

// Leading and trailing whitespace never changes which problem it is.
function key(text: string): string {
  return text.trim();
}

export function difficultyOf(text: string): number {
  return unit(key(text), "difficulty");
}

export function problemFrom(text: string, config: ModelConfig): Problem {
  const k = key(text);
  const difficulty = difficultyOf(k);
  const span = config.maxSteps - config.minSteps;
  // Harder problems take more steps, with a little jitter so step count alone is not a tell.
  const jitter = Math.floor(unit(k, "steps") * 3) - 1;
  const steps = Math.min(
    config.maxSteps,
    Math.max(config.minSteps, config.minSteps + Math.round(difficulty * span) + jitter),
  );
  const answerValue = 2 + (hash32(k, "answer") % 998);
  const wrongAnswers: string[] = [];
  for (let i = 0; wrongAnswers.length < config.wrongAnswers; i++) {
    const offset = 1 + (hash32(k, "wrong", i) % 120);
    const sign = unit(k, "wrong-sign", i) < 0.5 ? -1 : 1;
    const candidate = String(answerValue + sign * offset);
    if (candidate !== String(answerValue) && !wrongAnswers.includes(candidate)) {
      wrongAnswers.push(candidate);
    }
  }
  const decay =
    config.wrongDecayMin + (config.wrongDecayMax - config.wrongDecayMin) * unit(k, "wrong-decay");
  const wrongWeights = wrongAnswers.map((_, i) => decay ** i);
  return {
    text: k,
    difficulty,
    steps,
    answer: String(answerValue),
    wrongAnswers,
    wrongWeights,
  };
}

// The value an on-track solution writes at the end of intermediate step `index` (1-based).
export function stepValue(problem: Problem, index: number): number {
  return 10 + (hash32(problem.text, "step", index) % 990);
}

export function passRate(difficulty: number, config: ModelConfig): number {
  const logEasy = Math.log(config.passEasy);
  const logHard = Math.log(config.passHard);
  return Math.exp(logEasy + (logHard - logEasy) * difficulty ** config.passCurve);
}

// The per-step error that gives the problem its pass rate over its number of steps.
export function stepErrorRate(problem: Problem, config: ModelConfig): number {
  return 1 - passRate(problem.difficulty, config) ** (1 / problem.steps);
}
