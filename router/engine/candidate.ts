// One scored solution, and the step splitting that the proposer, the PRM and the vote share.
import { type AggregationName, aggregate } from "./aggregate.ts";
import { extractAnswer } from "./answers.ts";
import { answerKey } from "./equivalence.ts";

export interface ScoredCandidate {
  // The steps joined by the step delimiter: what the response calls the solution.
  solution: string;
  steps: string[];
  // The answer as written (for the response) and its key (for the vote: equal keys are one
  // answer, see equivalence.ts).
  answer: string;
  key: string;
  stepScores: number[];
  // stepScores reduced by the policy's aggregation.
  score: number;
}

// Steps are the non-empty pieces between delimiters, trimmed: the PRM scores exactly these.
export function splitSteps(text: string, delimiter: string): string[] {
  return text
    .split(delimiter)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function makeCandidate(
  steps: string[],
  stepScores: number[],
  delimiter: string,
  aggregation: AggregationName,
  answerPattern?: RegExp,
): ScoredCandidate {
  const solution = steps.join(delimiter);
  const answer = extractAnswer(solution, answerPattern);
  // Scores are probabilities; a backend that says otherwise must not break the vote's bounds
  // (early stopping relies on each solution adding at most 1) or the sort (NaN).
  const scores = stepScores.map(probability);
  return {
    solution,
    steps,
    answer,
    key: answerKey(answer),
    stepScores: scores,
    score: aggregate(scores, aggregation),
  };
}

export function probability(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
