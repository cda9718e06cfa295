// Adaptive early stopping, measured. The full run (rule "off") draws all its samples in one call;
// the early-stopping runs draw them in rounds. Seed ranges are contiguous and choice i of seed s
// is choice 0 of seed s + i, so every sample a stopping run draws is one the full run drew too.
// The fake model writes the right answer in varied surface forms (\frac{1}{2}, 0.5, \dfrac12,
// 1/2, …): the exact rule must give the same answer — the same vote key — every time while
// drawing fewer samples. The answer *text* is the best-scoring solution's among the samples
// drawn, so a full run may show another surface form of the same answer; how often is printed.
// The savings are printed (and recorded in README.md).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "./engine.ts";
import { answerKey } from "./equivalence.ts";
import { decisive } from "./strategies/early-stop.ts";
import { fakeBackends } from "./testing/fake-backends.ts";
import { makeContext, makeRequest } from "./testing/fixtures.ts";

const baseline = createEngine({ earlyStopping: { rule: "off", rounds: 8 } });
const exact = createEngine({ earlyStopping: { rule: "exact", rounds: 8 } });
const loose = createEngine({ earlyStopping: { rule: "margin", margin: 0.5, rounds: 8 } });

async function measure(strategy: "bestOfN" | "majority" | "revision", generations: number) {
  let full = 0;
  let saved = 0;
  let looseSaved = 0;
  let same = 0;
  let sameText = 0;
  let looseSame = 0;
  let stopped = 0;
  let runs = 0;
  // Surface forms of the right answer that won a full run: more than one shows the vote merged
  // them (and that "same answer" above is not a string comparison in disguise).
  const rightForms = new Set<string>();
  for (const slip of [0.03, 0.1, 0.2, 0.35]) {
    for (let i = 0; i < 12; i++) {
      const request = makeRequest({
        requestId: `es-${slip}-${i}`,
        strategy: Strategy[strategy],
        budget: { maxGenerations: generations },
      });
      const solve = (engine: typeof exact) =>
        engine.solve(request, makeContext(fakeBackends({ problem: { slip } })));
      const [a, b, c] = await Promise.all([solve(baseline), solve(exact), solve(loose)]);
      const g = (r: typeof a) => r.usage?.generations ?? 0;
      runs++;
      full += g(a);
      saved += g(a) - g(b);
      looseSaved += g(a) - g(c);
      if (answerKey(b.answer) === answerKey(a.answer)) same++;
      if (b.answer === a.answer) sameText++;
      if (answerKey(a.answer) === answerKey("1/2")) rightForms.add(a.answer);
      if (answerKey(c.answer) === answerKey(a.answer)) looseSame++;
      if (b.stoppedEarly) stopped++;
      assert.equal(a.stoppedEarly, false);
    }
  }
  return {
    runs,
    same,
    sameText,
    rightForms: rightForms.size,
    stopped,
    savedPct: (100 * saved) / full,
    looseSavedPct: (100 * looseSaved) / full,
    looseAgreePct: (100 * looseSame) / runs,
  };
}

describe("early stopping", () => {
  it("never stops while the remaining samples could still flip the vote", () => {
    const vote = { answer: "a", weight: 3, runnerUp: 1, tallies: [] };
    const rule = { rule: "exact" as const, margin: 1, rounds: 8 };
    assert.equal(decisive(vote, 2, rule), false, "a lead of exactly 2 can be tied by 2 samples");
    assert.equal(decisive(vote, 1, rule), true);
    assert.equal(decisive(vote, 3, { ...rule, rule: "margin", margin: 0.5 }), true);
    assert.equal(decisive(vote, 1, { ...rule, rule: "off" }), false);
  });

  for (const [strategy, n] of [
    ["bestOfN", 16],
    ["bestOfN", 64],
    ["majority", 16],
    ["majority", 64],
    ["revision", 16],
  ] as const) {
    it(`${strategy} N=${n}: saves generations with the same answers (exact rule)`, async (t) => {
      const m = await measure(strategy, n);
      const line =
        `${strategy} N=${n}: exact rule saves ${m.savedPct.toFixed(1)}% of generations, ` +
        `same answer in ${m.same}/${m.runs} (same text in ${m.sameText}), ` +
        `stopped early in ${m.stopped}/${m.runs}; ` +
        `margin 0.5 saves ${m.looseSavedPct.toFixed(1)}% with ${m.looseAgreePct.toFixed(0)}% agreement`;
      t.diagnostic(line);
      console.log(line);
      assert.equal(m.same, m.runs, "the exact rule never changes an answer");
      assert.ok(m.rightForms > 1, `the right answer won in ${m.rightForms} surface form(s)`);
      assert.ok(m.savedPct > 10, line);
      assert.ok(m.looseSavedPct >= m.savedPct, line);
    });
  }
});
