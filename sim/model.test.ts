import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_TEMPLATES,
  revisePrompt,
  solvePrompt,
  verifierInput,
} from "../router/engine/prompts.ts";
import { DEFAULT_MODEL } from "./model-config.ts";
import { stepScores } from "./prm.ts";
import { difficultyOf, type Problem, problemFrom, stepValue } from "./problem.ts";
import { parsePrompt, parseVerifierInput } from "./prompt-parse.ts";
import { hash32, rngFrom } from "./random.ts";
import { boxedAnswer, continueSolution, onTrack } from "./solution.ts";

const t = DEFAULT_TEMPLATES;
const config = DEFAULT_MODEL;

function solved(problem: Problem, seed: number, attempts: readonly string[] = []): boolean {
  const steps = continueSolution(problem, [], rngFrom(seed), config, attempts);
  return boxedAnswer(steps.at(-1) ?? "") === problem.answer;
}

// Problems whose latent difficulty lies in [lo, hi), found by scanning numbered texts.
function problemsIn(lo: number, hi: number, count: number): Problem[] {
  const out: Problem[] = [];
  for (let i = 0; out.length < count; i++) {
    const p = problemFrom(`Problem ${i}: compute the quantity.`, config);
    if (p.difficulty >= lo && p.difficulty < hi) out.push(p);
  }
  return out;
}

function passRate(
  problems: readonly Problem[],
  samples: number,
  attempts?: (p: Problem) => string[],
) {
  let wins = 0;
  problems.forEach((p, i) => {
    for (let s = 0; s < samples; s++) if (solved(p, hash32(i, s), attempts?.(p))) wins++;
  });
  return wins / (problems.length * samples);
}

describe("problem model", () => {
  it("derives the same truth from the same text, whatever the surrounding whitespace", () => {
    const a = problemFrom("Problem 3: what is x?", config);
    const b = problemFrom("  Problem 3: what is x?\n", config);
    assert.deepEqual(a, b);
    assert.ok(a.difficulty >= 0 && a.difficulty < 1);
    assert.equal(a.difficulty, difficultyOf("Problem 3: what is x?"));
    assert.ok(a.steps >= config.minSteps && a.steps <= config.maxSteps);
    assert.ok(!a.wrongAnswers.includes(a.answer));
    assert.notDeepEqual(problemFrom("Problem 4: what is x?", config), a);
  });

  it("reads a partial solution back to decide whether it is on track", () => {
    const p = problemFrom("Problem 9: track me", config);
    const right = `Step 1: We compute: 2 × 3 + (${stepValue(p, 1)} - 6) = ${stepValue(p, 1)}`;
    const wrong = `Step 1: We compute: 2 × 3 + (1 - 6) = ${stepValue(p, 1) + 1}`;
    assert.equal(onTrack(p, [right]), true);
    assert.equal(onTrack(p, [wrong]), false);
    assert.equal(onTrack(p, []), true);
    // A step the sim cannot read leaves the state as it was.
    assert.equal(onTrack(p, [wrong, "some foreign text"]), false);
  });

  it("never lets an off-track path end on the correct answer without a recovery", () => {
    const p = problemsIn(0.4, 0.6, 1)[0];
    assert.ok(p);
    const noRecovery = { ...config, recovery: 0 };
    const wrong = `Step 1: x = ${stepValue(p, 1) + 3}`;
    for (let s = 0; s < 200; s++) {
      const steps = continueSolution(p, [wrong], rngFrom(s), noRecovery);
      assert.notEqual(boxedAnswer(steps.at(-1) ?? ""), p.answer);
    }
  });

  it("has harder problems solved less often (pass@1 falls with difficulty)", () => {
    const rates = [0, 0.2, 0.4, 0.6, 0.8].map((lo) => passRate(problemsIn(lo, lo + 0.2, 30), 20));
    for (let i = 1; i < rates.length; i++) {
      assert.ok((rates[i] ?? 1) < (rates[i - 1] ?? 0), `pass@1 by difficulty: ${rates.join(", ")}`);
    }
    assert.ok((rates[0] ?? 0) > 0.7 && (rates[4] ?? 1) < 0.1, rates.join(", "));
  });

  it("gives wrong answers from a small set, so they collide", () => {
    const p = problemsIn(0.7, 0.8, 1)[0];
    assert.ok(p);
    const answers = new Set<string>();
    for (let s = 0; s < 300; s++) {
      answers.add(boxedAnswer(continueSolution(p, [], rngFrom(s), config).at(-1) ?? "") ?? "");
    }
    assert.ok(answers.size <= config.wrongAnswers + 1 && answers.size < 300);
  });

  it("makes revisions help easy problems much more than hard ones", () => {
    // One earlier wrong attempt, as a revision chain would show it.
    const withWrongAttempt = (p: Problem) => [`Step 1: ... \\boxed{${p.wrongAnswers[0]}}.`];
    const easy = problemsIn(0.1, 0.3, 40);
    const hard = problemsIn(0.7, 0.9, 40);
    const easyGain = passRate(easy, 50, withWrongAttempt) - passRate(easy, 50);
    const hardGain = passRate(hard, 50, withWrongAttempt) - passRate(hard, 50);
    assert.ok(easyGain > 0.03, `easy gain ${easyGain}`);
    assert.ok(easyGain > hardGain + 0.03, `easy ${easyGain} vs hard ${hardGain}`);
  });

  it("scores a prefix the same every time, and correct steps higher on average", () => {
    const p = problemsIn(0.4, 0.6, 1)[0];
    assert.ok(p);
    const right = [`Step 1: y = ${stepValue(p, 1)}`];
    const wrong = [`Step 1: y = ${stepValue(p, 1) + 7}`];
    assert.deepEqual(stepScores(p, right, config), stepScores(p, right, config));
    let higher = 0;
    for (let i = 0; i < 200; i++) {
      const r = stepScores(p, [`Step 1: variant ${i} = ${stepValue(p, 1)}`], config)[0] ?? 0;
      const w = stepScores(p, [`Step 1: variant ${i} = ${stepValue(p, 1) + 7}`], config)[0] ?? 0;
      if (r > w) higher++;
    }
    assert.ok(higher > 120, `correct scored higher in ${higher}/200`);
    assert.equal(stepScores(p, wrong, config).length, 1);
  });
});

describe("prompt parsing", () => {
  const problem = "Problem 5: the blank line is not in here.";

  it("reads solve prompts with and without steps", () => {
    assert.deepEqual(parsePrompt(solvePrompt(t, problem, [])), {
      kind: "solve",
      problem,
      attempts: [],
      steps: [],
      endsOnBoundary: true,
    });
    const parsed = parsePrompt(solvePrompt(t, problem, ["Step 1: a = 1", "Step 2: b = 2"]));
    assert.deepEqual(parsed.steps, ["Step 1: a = 1", "Step 2: b = 2"]);
    assert.equal(parsed.problem, problem);
  });

  it("reads revision prompts: problem, earlier attempts and steps", () => {
    const attempts = ["Step 1: a = 1\n\nStep 2: \\boxed{4}.", "Step 1: \\boxed{5}."];
    const parsed = parsePrompt(revisePrompt(t, problem, attempts, ["Step 1: c = 3"]));
    assert.equal(parsed.kind, "revise");
    assert.equal(parsed.problem, problem);
    assert.deepEqual(parsed.attempts, attempts);
    assert.deepEqual(parsed.steps, ["Step 1: c = 3"]);
    assert.deepEqual(parsePrompt(revisePrompt(t, problem, [])).attempts, []);
    assert.equal(parsePrompt(revisePrompt(t, problem, [])).problem, problem);
  });

  it("treats anything else as a bare problem", () => {
    assert.deepEqual(parsePrompt("What is 2+2?"), {
      kind: "bare",
      problem: "What is 2+2?",
      attempts: [],
      steps: [],
      endsOnBoundary: true,
    });
  });

  it("reads the verifier input back into problem and steps", () => {
    const steps = ["Step 1: a = 1", "Step 2: \\boxed{2}."];
    assert.deepEqual(parseVerifierInput(verifierInput(t, problem, steps)), { problem, steps });
    assert.deepEqual(parseVerifierInput("no separators"), { problem: "no separators", steps: [] });
  });
});
