// Problems for the demo, benchmarks and calibration. The texts are just texts: their latent
// difficulty and correct answer come from the same hash every replica uses, so a dataset item
// knows its truth without the fleet being told anything.
import { DEFAULT_MODEL, type ModelConfig } from "./model-config.ts";
import { problemFrom } from "./problem.ts";
import { pick, type Rng, rngFrom } from "./random.ts";
import { boxedAnswer } from "./solution.ts";

export interface DatasetItem {
  id: string;
  // The text a client sends as its prompt.
  problem: string;
  answer: string;
  difficulty: number;
}

export interface DatasetOptions {
  count: number;
  seed?: number;
  config?: ModelConfig;
  // Keep only problems whose latent difficulty falls in [minDifficulty, maxDifficulty).
  minDifficulty?: number;
  maxDifficulty?: number;
}

const SUBJECTS = [
  "a farmer",
  "a train",
  "a rectangle",
  "a sequence",
  "a polynomial",
  "a bakery",
  "a circle",
  "a committee",
  "a clock",
  "a triangle",
];
const QUESTIONS = [
  (r: Rng) =>
    `${pick(r, SUBJECTS)} has ${n(r)} parts and each part grows by ${n(r)} every day; how many parts are there after ${n(r)} days?`,
  (r: Rng) =>
    `Find the remainder when ${n(r)}^${n(r)} is divided by ${n(r)} for ${pick(r, SUBJECTS)}.`,
  (r: Rng) =>
    `The sides of ${pick(r, SUBJECTS)} are ${n(r)} and ${n(r)}; compute the sum of all possible integer values of the third side.`,
  (r: Rng) =>
    `How many ways can ${n(r)} people choose ${n(r)} representatives for ${pick(r, SUBJECTS)}?`,
  (r: Rng) =>
    `If f(x) = ${n(r)}x^2 - ${n(r)}x + ${n(r)}, what is f(${n(r)}) for ${pick(r, SUBJECTS)}?`,
  (r: Rng) =>
    `The average of ${n(r)} numbers describing ${pick(r, SUBJECTS)} is ${n(r)}; one number is removed and the average becomes ${n(r)}. What number was removed?`,
];

function n(r: Rng): number {
  return 2 + Math.floor(r() * 97);
}

export function makeDataset(options: DatasetOptions): DatasetItem[] {
  const config = options.config ?? DEFAULT_MODEL;
  const rng = rngFrom(options.seed ?? 1);
  const lo = options.minDifficulty ?? 0;
  const hi = options.maxDifficulty ?? 1;
  if (!(hi > lo)) throw new Error(`empty difficulty range [${lo}, ${hi})`);
  const items: DatasetItem[] = [];
  for (let attempt = 0; items.length < options.count; attempt++) {
    if (attempt > options.count * 1000) throw new Error("difficulty range too narrow");
    const number = items.length + 1;
    const text = `Problem ${number}: ${pick(rng, QUESTIONS)(rng)}`;
    const p = problemFrom(text, config);
    if (p.difficulty < lo || p.difficulty >= hi) continue;
    items.push({ id: `p${number}`, problem: text, answer: p.answer, difficulty: p.difficulty });
  }
  return items;
}

// Whether `response` (a bare answer or a whole solution with \boxed{}) gives the true answer.
// The sim's answers are integers, so the grader compares numbers: "417", " 417 ", "417.0" and
// "$417$" are one answer.
export function judgeAnswer(truth: string, response: string): boolean {
  const given = (response.includes("\\boxed") ? boxedAnswer(response) : response) ?? "";
  const number = (s: string) => Number(s.replace(/[\s$,]/g, ""));
  const value = number(given);
  return given.trim() !== "" && Number.isFinite(value) && value === number(truth);
}
