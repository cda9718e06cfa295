// The tree searches' edges, checked against search-and-learn: the step cap finishes the
// surviving prefixes, duplicate prefixes are dropped, the reported config is the one that ran,
// a step cut by max_tokens stays open, and a budget the probe fills says so.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Strategy, type StrategyConfig } from "../../../proto/gen/mull/v1/router_pb.ts";
import type { GenerateRequest } from "../backend.ts";
import { createEngine } from "../engine.ts";
import type { EngineOptionsInput } from "../options.ts";
import type { StrategyName } from "../table.ts";
import { FakeProposer, FakeVerifier } from "../testing/fake-backends.ts";
import { level, makeContext, makePolicy, makeRequest } from "../testing/fixtures.ts";

const SEARCHES = ["beam", "lookahead", "dvts"] as const;

async function solve(
  strategy: StrategyName,
  generations: number,
  opts: {
    steps?: number;
    hint?: number;
    engine?: EngineOptionsInput;
    proposer?: { generate: FakeProposer["generate"] };
    maxProbeFraction?: number;
    // Bin 3's levels instead of the fixture's.
    bins?: StrategyConfig[];
  } = {},
) {
  const problem = { slip: 0.2, steps: opts.steps ?? 4 };
  const fake = new FakeProposer({ problem });
  const calls: GenerateRequest[] = [];
  const proposer = {
    generate: (r: GenerateRequest) => {
      calls.push(r);
      return (opts.proposer ?? fake).generate(r);
    },
  };
  const policy = makePolicy(
    opts.maxProbeFraction === undefined ? {} : { maxProbeFraction: opts.maxProbeFraction },
  );
  if (opts.bins) {
    const hard = policy.binTable.find((b) => b.bin === 3);
    if (hard) hard.levels = opts.bins;
  }
  const context = makeContext({ proposer, verifier: new FakeVerifier({ problem }) }, { policy });
  const response = await createEngine(opts.engine).solve(
    makeRequest({
      strategy: Strategy[strategy],
      budget: { maxGenerations: generations },
      includeCandidates: true,
      ...(opts.hint === undefined ? {} : { difficultyHint: opts.hint }),
    }),
    context,
  );
  return { response, calls };
}

describe("the step cap", () => {
  for (const strategy of SEARCHES) {
    it(`${strategy}: a 30-step problem under a cap of 10 still ends in answers`, async () => {
      // Bin 3's table caps search at 10 steps.
      const { response, calls } = await solve(strategy, 16, { steps: 30, hint: 3 });
      assert.equal(response.config?.maxSteps, 10);
      assert.equal(response.partial, false);
      assert.notEqual(response.answer, "", "the survivors were generated to the end");
      assert.ok(response.candidates.length > 0);
      assert.ok(
        response.candidates.every((c) => c.answer !== ""),
        "every candidate has an answer",
      );
      // The last iteration asks for whole solutions, not one more step.
      const last = calls[calls.length - 1];
      assert.equal(last?.stopAtStepEnd, false);
      assert.ok(calls.some((c) => c.stopAtStepEnd));
    });
  }
});

describe("duplicate prefixes", () => {
  // A model that writes the same step for every sample: every expansion is a duplicate.
  const parrot = new FakeProposer({ problem: { slip: 0, steps: 4 } });
  const same = {
    async generate(r: GenerateRequest) {
      const result = await parrot.generate({ ...r, seed: 1, n: 1 });
      const one = result.completions[0];
      return { ...result, completions: Array.from({ length: r.n }, () => ({ ...one })) };
    },
  } as { generate: FakeProposer["generate"] };

  // Calls that expand a one-step prefix: the search's second round.
  const secondRound = (calls: GenerateRequest[]) =>
    calls.filter((c) => c.stopAtStepEnd && c.prompt.steps.length === 1).length;

  it("are dropped by default, as search-and-learn's recipes do", async () => {
    const { calls } = await solve("beam", 16, { hint: 3, proposer: same });
    // 16 identical first steps survive as one prefix, expanded by one call.
    assert.equal(secondRound(calls), 1);
  });

  it("are kept when beamDedupe is off", async () => {
    const { calls } = await solve("beam", 16, {
      hint: 3,
      proposer: same,
      engine: { beamDedupe: false },
    });
    // keep = 16 / 4 = 4 copies of the one prefix, each expanded.
    assert.equal(secondRound(calls), 4);
  });
});

describe("the response's config", () => {
  it("reports the beams that ran, rounded down to a multiple of the width", async () => {
    // A level of 10 generations at width 4: two beams of 4 run, 8 generations.
    const { response } = await solve("beam", 16, {
      hint: 3,
      bins: [level("beam", 10, { beamWidth: 4, maxSteps: 10 })],
    });
    assert.equal(response.config?.beamWidth, 4);
    assert.equal(response.config?.generations, 8);
    assert.equal(response.usage?.generations, 8);
  });

  it("reports a width cut to the budget", async () => {
    // Budget 4, probe capped at half: 2 generations left, so width 4 is cut to 2.
    const { response } = await solve("beam", 4, { maxProbeFraction: 0.5 });
    assert.equal(response.config?.beamWidth, 2);
    assert.equal(response.config?.generations, 4);
    assert.equal(response.usage?.generations, 4);
  });

  it("reports lookahead's rounded-down beam count as generations", async () => {
    // 16 − 4 probe = 12; each beam costs k + 1 = 2: 6 beams, a multiple of 4 → 4 beams, 8 gens.
    const { response } = await solve("lookahead", 16);
    assert.equal(response.config?.lookahead, 1);
    assert.equal(response.config?.beamWidth, 4);
    assert.equal(response.config?.generations, 12);
    assert.equal(response.usage?.generations, 12);
  });

  it("matches the usage for every search at a range of budgets", async () => {
    for (const strategy of SEARCHES) {
      for (const budget of [5, 7, 9, 16, 33]) {
        const { response } = await solve(strategy, budget, { steps: 3 });
        assert.equal(
          response.config?.generations,
          response.usage?.generations,
          `${strategy} at ${budget}`,
        );
        assert.ok((response.config?.beamWidth ?? 0) <= budget);
      }
    }
  });
});

describe("a step cut by max_tokens", () => {
  it("is a truncated step that stays open, not a finished solution", async () => {
    // Steps of ~10 tokens against a step max_tokens of 3: every step call ends in "length".
    // Had "length" finished the solution, every beam would end after one call with no answer.
    const { response, calls } = await solve("beam", 16, {
      steps: 30,
      hint: 3,
      engine: { maxStepTokens: 3 },
    });
    const stepCalls = calls.filter((c) => c.stopAtStepEnd);
    assert.ok(stepCalls.length > 1, "the search went on past the first truncated step");
    // Nothing finished until the step cap ran the survivors to their end.
    assert.equal(calls[calls.length - 1]?.stopAtStepEnd, false);
    assert.ok(response.candidates.length > 0);
    assert.ok(response.candidates.every((c) => c.answer !== ""));
  });
});

describe("a budget the probe fills", () => {
  it("says probeOnly, and reports best-of-N over the probe's samples", async () => {
    // Bin 3 (hard) would run beam search; budget 4 with a probe of 4 leaves it nothing.
    const { response, calls } = await solve("beam", 4);
    assert.equal(response.probeOnly, true);
    assert.equal(response.config?.strategy, Strategy.bestOfN);
    assert.equal(response.config?.generations, 4);
    assert.equal(response.usage?.generations, 4);
    assert.equal(calls.length, 1, "only the probe's call");
  });

  it("leaves the strategy its share when maxProbeFraction caps the probe", async () => {
    const { response, calls } = await solve("beam", 4, { maxProbeFraction: 0.5 });
    assert.equal(response.probeOnly, false);
    assert.equal(calls[0]?.n, 2, "the probe draws half the budget");
    assert.equal(response.config?.strategy, Strategy.beam);
    assert.equal(response.config?.beamWidth, 2);
    assert.equal(response.usage?.generations, 4);
  });
});
