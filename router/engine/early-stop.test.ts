// Adaptive early stopping, measured. Both runs sample in the same rounds with the same seeds, so
// the samples they share are identical; the exact rule must give the same answer every time
// while drawing fewer samples. The savings are printed (and recorded in README.md).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "./engine.ts";
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
  let looseSame = 0;
  let stopped = 0;
  let runs = 0;
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
      if (b.answer === a.answer) same++;
      if (c.answer === a.answer) looseSame++;
      if (b.stoppedEarly) stopped++;
      assert.equal(a.stoppedEarly, false);
    }
  }
  return {
    runs,
    same,
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
        `same answer in ${m.same}/${m.runs}, stopped early in ${m.stopped}/${m.runs}; ` +
        `margin 0.5 saves ${m.looseSavedPct.toFixed(1)}% with ${m.looseAgreePct.toFixed(0)}% agreement`;
      t.diagnostic(line);
      console.log(line);
      assert.equal(m.same, m.runs, "the exact rule never changes an answer");
      assert.ok(m.savedPct > 10, line);
      assert.ok(m.looseSavedPct >= m.savedPct, line);
    });
  }
});
