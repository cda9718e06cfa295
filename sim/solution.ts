// Solutions as text: how a step is written, how the sim reads a step back to decide whether a
// partial solution is still on track, and how a sampled continuation is drawn. Reading the
// state back from the text (rather than remembering it) is what keeps replicas stateless.
import type { ModelConfig } from "./model-config.ts";
import { type Problem, stepErrorRate, stepValue } from "./problem.ts";
import { pick, pickWeighted, type Rng } from "./random.ts";

const OPENERS = [
  "We compute",
  "Substituting the known values",
  "Simplifying the expression",
  "Combining like terms",
  "Using the relation from the previous step",
  "Applying the formula",
  "Rearranging the equation",
  "Multiplying out",
  "Taking the difference",
  "By the given condition",
];

const FILLERS = [
  "which keeps the units consistent",
  "after cancelling the common factor",
  "since both sides are positive",
  "noting that the terms pair up",
  "as the constraint requires",
  "so the earlier bound still holds",
  "because the sum is symmetric",
];

const CLOSERS = [
  "Therefore, the final answer is",
  "Putting everything together, the answer is",
  "Hence the answer is",
  "So the final answer is",
];

function intermediateStep(rng: Rng, index: number, value: number): string {
  const a = 2 + Math.floor(rng() * 97);
  const b = 2 + Math.floor(rng() * 19);
  const fillers = Math.floor(rng() * 3);
  let body = pick(rng, OPENERS);
  for (let i = 0; i < fillers; i++) body += `, ${pick(rng, FILLERS)}`;
  return `Step ${index}: ${body}: ${a} × ${b} + (${value} - ${a * b}) = ${value}`;
}

function finalStep(rng: Rng, index: number, answer: string): string {
  return `Step ${index}: ${pick(rng, CLOSERS)} \\boxed{${answer}}.`;
}

// The content of the last \boxed{...} in the text, if any.
export function boxedAnswer(text: string): string | undefined {
  const matches = [...text.matchAll(/\\boxed\{([^{}]*)\}/g)];
  return matches.at(-1)?.[1]?.trim();
}

function intermediateValue(step: string): number | undefined {
  const m = /=\s*(-?\d+)\s*\.?\s*$/.exec(step);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

// Whether step `index` (1-based) is right; undefined for text the sim cannot read (its own
// steps are always readable; a foreign step leaves the path's state unchanged).
export function stepCorrect(problem: Problem, index: number, step: string): boolean | undefined {
  const answer = boxedAnswer(step);
  if (answer !== undefined) return answer.replace(/\s+/g, "") === problem.answer;
  const value = intermediateValue(step);
  if (value === undefined) return undefined;
  return value === stepValue(problem, index);
}

export function onTrack(problem: Problem, steps: readonly string[]): boolean {
  let state = true;
  steps.forEach((step, i) => {
    state = stepCorrect(problem, i + 1, step) ?? state;
  });
  return state;
}

export function isFinished(steps: readonly string[]): boolean {
  return steps.some((s) => boxedAnswer(s) !== undefined);
}

// How a revision prompt shifts the odds: it helps easy problems much more than hard ones, it
// tends to keep an earlier correct answer, and a wrong revision often repeats the last wrong
// answer (which is why revisions lose to parallel search on hard problems).
function revisionErrorFactor(problem: Problem, attempts: readonly string[], c: ModelConfig) {
  if (attempts.length === 0) return 1;
  const depth = 1 - 0.5 ** attempts.length;
  let factor = 1 - c.revisionGain * (1 - problem.difficulty) ** c.revisionCurve * depth;
  // Keeping a correct answer is easy only when the model can tell it is correct.
  const last = boxedAnswer(attempts.at(-1) ?? "");
  if (last === problem.answer) factor *= 1 - (1 - c.revisionKeep) * (1 - problem.difficulty) ** 2;
  return factor;
}

// Draws the rest of a solution after `steps`: the new steps, the last one holding \boxed{}.
// Empty when the solution is already finished.
export function continueSolution(
  problem: Problem,
  steps: readonly string[],
  rng: Rng,
  config: ModelConfig,
  attempts: readonly string[] = [],
): string[] {
  if (isFinished(steps)) return [];
  const repeated = anchoredAnswer(problem, rng, config, attempts);
  const error = Math.min(
    0.95,
    stepErrorRate(problem, config) * revisionErrorFactor(problem, attempts, config),
  );
  let good = onTrack(problem, steps);
  const out: string[] = [];
  const last = Math.max(problem.steps, steps.length + 1);
  for (let index = steps.length + 1; index <= last; index++) {
    good = repeated === undefined && (good ? rng() >= error : rng() < config.recovery);
    if (index < last) {
      const value = good
        ? stepValue(problem, index)
        : stepValue(problem, index) + (rng() < 0.5 ? -1 : 1) * (1 + Math.floor(rng() * 40));
      out.push(intermediateStep(rng, index, value));
    } else {
      const wrong = repeated ?? wrongAnswer(problem, rng);
      out.push(finalStep(rng, index, good ? problem.answer : wrong));
    }
  }
  return out;
}

// On a hard problem a revision of a wrong attempt often just restates it: the whole sample
// repeats the last attempt's answer.
function anchoredAnswer(
  problem: Problem,
  rng: Rng,
  config: ModelConfig,
  attempts: readonly string[],
): string | undefined {
  const last = boxedAnswer(attempts.at(-1) ?? "");
  if (last === undefined || last === problem.answer) return undefined;
  return rng() < config.revisionAnchor * problem.difficulty ** 2 ? last : undefined;
}

function wrongAnswer(problem: Problem, rng: Rng): string {
  return problem.wrongAnswers[pickWeighted(rng, problem.wrongWeights)] ?? "0";
}
