// Solutions as text: how a step is written, how the sim reads a step back to decide whether a
// partial solution is still on track, and how a sampled continuation is drawn. Reading the
// state back from the text (rather than remembering it) is what keeps replicas stateless.
import type { ModelConfig } from "./model-config.ts";
import { type Problem, stepError, stepValue } from "./problem.ts";
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
  // Most steps hold no answer; skip the regex scan for them.
  if (!text.includes("\\boxed{")) return undefined;
  const matches = [...text.matchAll(/\\boxed\{([^{}]*)\}/g)];
  return matches.at(-1)?.[1]?.trim();
}

function intermediateValue(step: string): number | undefined {
  const m = /=\s*(-?\d+)\s*\.?\s*$/.exec(step);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

// Where a step leaves its path: on the correct track, on the problem's deceptive path, or off
// (a slip). Undefined for text the sim cannot read (its own steps are always readable; a
// foreign step leaves the path's state unchanged).
export type StepState = "correct" | "trap" | "wrong";

export function stepState(problem: Problem, index: number, step: string): StepState | undefined {
  const answer = boxedAnswer(step);
  if (answer !== undefined) {
    const written = answer.replace(/\s+/g, "");
    if (written === problem.answer) return "correct";
    return written === problem.trap?.answer ? "trap" : "wrong";
  }
  const value = intermediateValue(step);
  if (value === undefined) return undefined;
  if (value === stepValue(problem, index)) return "correct";
  const trap = problem.trap;
  return trap && index >= trap.step && value === trap.values[index] ? "trap" : "wrong";
}

// Whether step `index` (1-based) is right; undefined for text the sim cannot read.
export function stepCorrect(problem: Problem, index: number, step: string): boolean | undefined {
  const state = stepState(problem, index, step);
  return state === undefined ? undefined : state === "correct";
}

// The state of a partial solution: that of its last readable step (on track when empty).
export function pathState(problem: Problem, steps: readonly string[]): StepState {
  let state: StepState = "correct";
  steps.forEach((step, i) => {
    state = stepState(problem, i + 1, step) ?? state;
  });
  return state;
}

export function onTrack(problem: Problem, steps: readonly string[]): boolean {
  return pathState(problem, steps) === "correct";
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
  return [...solutionSteps(problem, steps, rng, config, attempts)];
}

// The same draw, one step at a time: a caller that stops at the end of a step (vLLM's `stop`)
// stops drawing there, and the steps it did draw are exactly those of the whole draw, because
// every random number is taken in the same order.
export function* solutionSteps(
  problem: Problem,
  steps: readonly string[],
  rng: Rng,
  config: ModelConfig,
  attempts: readonly string[] = [],
): Generator<string, void, undefined> {
  if (isFinished(steps)) return;
  const repeated = anchoredAnswer(problem, rng, config, attempts);
  const factor = revisionErrorFactor(problem, attempts, config);
  const trap = problem.trap;
  let state = pathState(problem, steps);
  const last = Math.max(problem.steps, steps.length + 1);
  for (let index = steps.length + 1; index <= last; index++) {
    const error = Math.min(0.95, stepError(problem, index) * factor);
    if (repeated !== undefined) state = "wrong";
    else if (state === "wrong") state = rng() < config.recovery ? "correct" : "wrong";
    else if (state === "trap") state = rng() >= error ? "trap" : "wrong";
    else if (trap && index === trap.step && rng() < config.trapPull * factor) state = "trap";
    else state = rng() >= error ? "correct" : "wrong";
    if (index < last) yield intermediateStep(rng, index, valueFor(problem, index, state, rng));
    else {
      const answer =
        state === "correct"
          ? problem.answer
          : state === "trap" && trap
            ? trap.answer
            : (repeated ?? wrongAnswer(problem, rng));
      yield finalStep(rng, index, answer);
    }
  }
}

// What a step writes: the correct value, the deceptive path's, or a slip 1..40 off.
function valueFor(problem: Problem, index: number, state: StepState, rng: Rng): number {
  const correct = stepValue(problem, index);
  if (state === "correct") return correct;
  if (state === "trap") return problem.trap?.values[index] ?? correct + 41;
  return correct + (rng() < 0.5 ? -1 : 1) * (1 + Math.floor(rng() * 40));
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
