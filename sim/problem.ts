// The latent truth behind any problem text: its difficulty, how many steps a solution takes,
// the correct value of every step, how likely the model is to get each step wrong, the correct
// answer, the wrong answers a model tends to give, and (on some problems) a deceptive path.
// All of it is a pure function of the text and the config, so every replica agrees.
import type { ModelConfig } from "./model-config.ts";
import { hash32, unit } from "./random.ts";

// A plausible wrong turn: at step `step` a sample may take a wrong value that the PRM likes
// (a misconception, not a slip), follow it consistently with the values in `values`, and end
// on `answer`. The PRM scores every step of this path as if correct, and higher: a bias shared
// by every sample that takes it, which a search that maximises the PRM at every step is drawn
// into far more than a vote over whole samples.
export interface Trap {
  step: number;
  // values[i] is the value the deceptive path writes at step i (for i >= step).
  values: number[];
  answer: string;
}

export interface Problem {
  text: string;
  difficulty: number;
  steps: number;
  answer: string;
  wrongAnswers: string[];
  wrongWeights: number[];
  // values[i] is the correct value of intermediate step i (1-based; values[0] unused).
  values: number[];
  // errors[i] is a fresh sample's chance of going wrong at step i (1-based): the problem's
  // failure rate spread over its steps, with the crux step taking the larger share.
  errors: number[];
  crux: number;
  trap: Trap | undefined;
}

// Leading and trailing whitespace never changes which problem it is.
function key(text: string): string {
  return text.trim();
}

export function difficultyOf(text: string): number {
  return unit(key(text), "difficulty");
}

// Every completion and every scored prefix re-derives its problem from the text; a step search
// asks for the same few problems thousands of times, so remember the last ones per config.
// (Pure function of text and config, so a cache cannot change an answer.)
const CACHE_SIZE = 512;
const cache = new WeakMap<ModelConfig, Map<string, Problem>>();

export function problemFrom(text: string, config: ModelConfig): Problem {
  const k = key(text);
  let known = cache.get(config);
  if (!known) {
    known = new Map();
    cache.set(config, known);
  }
  const hit = known.get(k);
  if (hit) return hit;
  const problem = deriveProblem(k, config);
  if (known.size >= CACHE_SIZE) known.delete(known.keys().next().value as string);
  known.set(k, problem);
  return problem;
}

function deriveProblem(k: string, config: ModelConfig): Problem {
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
  // Enough values for any continuation (a foreign prefix may be longer than the solution).
  const values = Array.from({ length: config.maxSteps + 64 }, (_, i) =>
    i === 0 ? 0 : 10 + (hash32(k, "step", i) % 990),
  );
  const crux = 1 + Math.floor(unit(k, "crux") * steps);
  const errors = stepErrors(passRate(difficulty, config), steps, crux, config.cruxShare);
  return {
    text: k,
    difficulty,
    steps,
    answer: String(answerValue),
    wrongAnswers,
    wrongWeights,
    values,
    errors,
    crux,
    trap: makeTrap(k, steps, answerValue, values, config),
  };
}

// Splits log(pass) between the crux step (a share of `cruxShare`) and the other steps evenly,
// so that a fresh sample still stays on track with probability `pass`.
function stepErrors(pass: number, steps: number, crux: number, cruxShare: number): number[] {
  const share = steps === 1 ? 1 : cruxShare;
  const cruxSuccess = pass ** share;
  const otherSuccess = steps === 1 ? 1 : pass ** ((1 - share) / (steps - 1));
  return Array.from({ length: steps + 1 }, (_, i) =>
    i === 0 ? 0 : 1 - (i === crux ? cruxSuccess : otherSuccess),
  );
}

// The deceptive path, on a `trapRate` share of problems. It branches early enough (by the
// second-to-last intermediate step) that a search has steps left to be drawn into it. Its values
// sit 41..80 away from the correct ones (a slip is 1..40 away) and its answer 121..240 away
// (ordinary wrong answers are 1..120 away), so the sim can always tell the three apart.
function makeTrap(
  k: string,
  steps: number,
  answerValue: number,
  correct: readonly number[],
  config: ModelConfig,
): Trap | undefined {
  if (steps < 2 || unit(k, "trap") >= config.trapRate) return undefined;
  const step = 1 + Math.floor(unit(k, "trap-step") * Math.max(1, steps - 2));
  const values = correct.map((v, i) => {
    const sign = unit(k, "trap-sign", i) < 0.5 ? -1 : 1;
    return v + sign * (41 + (hash32(k, "trap-value", i) % 40));
  });
  const sign = unit(k, "trap-answer-sign") < 0.5 ? -1 : 1;
  const answer = String(answerValue + sign * (121 + (hash32(k, "trap-answer") % 120)));
  return { step, values, answer };
}

// The value an on-track solution writes at the end of intermediate step `index` (1-based).
export function stepValue(problem: Problem, index: number): number {
  return problem.values[index] ?? 10 + (hash32(problem.text, "step", index) % 990);
}

// A fresh sample's chance of going wrong at step `index` (the last step's, past the end).
export function stepError(problem: Problem, index: number): number {
  return problem.errors[Math.min(index, problem.steps)] ?? 0;
}

export function passRate(difficulty: number, config: ModelConfig): number {
  const logEasy = Math.log(config.passEasy);
  const logHard = Math.log(config.passHard);
  return Math.exp(logEasy + (logHard - logEasy) * difficulty ** config.passCurve);
}
