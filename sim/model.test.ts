import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_MODEL, modelConfig } from "./model-config.ts";
import { separationFor, stepScores } from "./prm.ts";
import {
  difficultyOf,
  passRate as modelPassRate,
  type Problem,
  problemFrom,
  stepValue,
} from "./problem.ts";
import { hash32, rngFrom } from "./random.ts";
import { boxedAnswer, continueSolution, onTrack, stepState } from "./solution.ts";

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

describe("deceptive paths, crux steps and the PRM's blind spots", () => {
  // A problem with a deceptive path branching at step 2 or later, so it has a correct prefix.
  const trapped = (() => {
    for (let i = 0; ; i++) {
      const p = problemFrom(`Problem ${i}: find the value.`, config);
      if (p.trap && p.trap.step >= 2 && p.difficulty < 0.5) return p;
    }
  })();
  const trap = trapped.trap;
  assert.ok(trap);
  const prefix = Array.from(
    { length: trap.step - 1 },
    (_, i) => `Step ${i + 1}: x = ${stepValue(trapped, i + 1)}`,
  );
  const k = trap.step;

  it("gives a trapRate share of problems a deceptive path, distinct from slips and wrong answers", () => {
    let count = 0;
    for (let i = 0; i < 400; i++) {
      const p = problemFrom(`Problem ${i}: count traps.`, config);
      if (!p.trap) continue;
      count++;
      assert.ok(p.trap.step >= 1 && p.trap.step < p.steps);
      assert.ok(!p.wrongAnswers.includes(p.trap.answer) && p.trap.answer !== p.answer);
      const off = Math.abs((p.trap.values[p.trap.step] ?? 0) - stepValue(p, p.trap.step));
      assert.ok(off > 40 && off <= 80, `trap value ${off} away`);
    }
    assert.ok(Math.abs(count / 400 - config.trapRate) < 0.07, `${count}/400`);
    const none = modelConfig({ trapRate: 0 });
    assert.equal(problemFrom("Problem 3: no trap here.", none).trap, undefined);
  });

  it("has the PRM prefer the deceptive step over the correct one, and the correct over a slip", () => {
    let deceptiveWins = 0;
    let correctOverSlip = 0;
    for (let v = 0; v < 200; v++) {
      const score = (value: number) =>
        stepScores(trapped, [...prefix, `Step ${k}: variant ${v} = ${value}`], config).at(-1) ?? 0;
      const right = score(stepValue(trapped, k));
      if (score(trap.values[k] ?? 0) > right) deceptiveWins++;
      if (right > score(stepValue(trapped, k) + 3)) correctOverSlip++;
    }
    assert.ok(deceptiveWins > 150, `deceptive step preferred in ${deceptiveWins}/200`);
    assert.ok(correctOverSlip > 110, `correct step preferred in ${correctOverSlip}/200`);
  });

  it("has samples take the deceptive path now and then, follow it, and end on its answer", () => {
    const pulled = modelConfig({ trapPull: 0.5 });
    const p = problemFrom(trapped.text, pulled);
    let taken = 0;
    for (let s = 0; s < 200; s++) {
      const steps = continueSolution(p, prefix, rngFrom(s), pulled);
      if (stepState(p, k, steps[0] ?? "") !== "trap") continue;
      taken++;
      const states = steps.map((step, i) => stepState(p, k + i, step));
      // Once on the deceptive path a sample never returns to the correct one.
      assert.ok(!states.includes("correct"), states.join(","));
      if (!states.includes("wrong")) assert.equal(boxedAnswer(steps.at(-1) ?? ""), p.trap?.answer);
    }
    assert.ok(taken > 60 && taken < 140, `taken ${taken}/200`);
  });

  it("puts a crux share of the failure on one step and keeps pass@1 as configured", () => {
    for (const text of ["Problem 1: crux.", "Problem 2: crux.", "Problem 3: crux."]) {
      const p = problemFrom(text, config);
      const pass = p.errors.slice(1).reduce((prod, e) => prod * (1 - e), 1);
      assert.ok(Math.abs(pass - modelPassRate(p.difficulty, config)) < 1e-9);
      const others = p.errors.filter((_, i) => i > 0 && i !== p.crux);
      for (const e of others) assert.ok((p.errors[p.crux] ?? 0) >= e);
    }
  });

  it("judges a slip where it happens and the steps after it only partly", () => {
    const slip = `Step 1: x = ${stepValue(trapped, 1) + 5}`;
    let afterSlipLooksBetter = 0;
    for (let v = 0; v < 200; v++) {
      const next = `Step 2: variant ${v} = ${stepValue(trapped, 2) + 9}`;
      const carried = stepScores(trapped, [slip, next], config)[1] ?? 0;
      const fresh =
        stepScores(trapped, [`Step 1: y = ${stepValue(trapped, 1)}`, next], config)[1] ?? 0;
      if (carried > fresh) afterSlipLooksBetter++;
    }
    assert.ok(afterSlipLooksBetter > 110, `${afterSlipLooksBetter}/200`);
  });

  it("separates correct from wrong steps less on harder problems", () => {
    const easy = problemsIn(0, 0.1, 1)[0];
    const hard = problemsIn(0.9, 1, 1)[0];
    assert.ok(easy && hard);
    assert.ok(separationFor(easy, config) > 1.5 * separationFor(hard, config));
  });
});
