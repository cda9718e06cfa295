// Every strategy on the deterministic fake fleet: it finds the known answer more often than one
// sample does, counts generations as documented, and never reuses a seed within a request.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SolveResponse, Strategy } from "../../../proto/gen/mull/v1/router_pb.ts";
import type { PromptInput } from "../backend.ts";
import { createEngine } from "../engine.ts";
import { sameAnswer } from "../equivalence.ts";
import type { EngineOptionsInput } from "../options.ts";
import type { StrategyName } from "../table.ts";
import {
  DEFAULT_PROBLEM,
  type FakeProblem,
  FakeProposer,
  FakeVerifier,
} from "../testing/fake-backends.ts";
import { makeContext, makeRequest } from "../testing/fixtures.ts";
import { chainPlan } from "./revision.ts";

async function run(
  strategy: StrategyName,
  generations: number,
  opts: {
    id?: string;
    problem?: Partial<FakeProblem>;
    engine?: EngineOptionsInput;
    hint?: number;
  } = {},
) {
  const proposer = new FakeProposer({ problem: opts.problem ?? { slip: 0.3 } });
  const verifier = new FakeVerifier({ problem: opts.problem ?? { slip: 0.3 } });
  const context = makeContext({ proposer, verifier });
  const response: SolveResponse = await createEngine(opts.engine).solve(
    makeRequest({
      strategy: Strategy[strategy],
      ...(opts.hint === undefined ? {} : { difficultyHint: opts.hint }),
      budget: { maxGenerations: generations },
      requestId: opts.id ?? "req-1",
    }),
    context,
  );
  return { response, proposer, verifier, context };
}

const off = { earlyStopping: { rule: "off" as const, rounds: 1 } };
const ids = Array.from({ length: 30 }, (_, i) => `acc-${i}`);

async function accuracy(strategy: StrategyName, generations: number): Promise<number> {
  let right = 0;
  for (const id of ids) {
    const { response } = await run(strategy, generations, { id, engine: off });
    if (sameAnswer(response.answer, DEFAULT_PROBLEM.answer)) right++;
  }
  return right / ids.length;
}

describe("strategies on the fake fleet", () => {
  it("each beats a single sample's accuracy at 16 generations", async () => {
    // One sample is right when no step slips: 0.7^4 ≈ 0.24.
    const single = 0.7 ** 4;
    for (const s of ["bestOfN", "majority", "beam", "lookahead", "dvts", "revision"] as const) {
      const acc = await accuracy(s, 16);
      assert.ok(acc > single + 0.2, `${s}: accuracy ${acc} vs one sample ${single.toFixed(2)}`);
    }
  });

  it("never reuses a seed within a request, and replays seeds for the same id", async () => {
    for (const s of ["bestOfN", "majority", "beam", "lookahead", "dvts", "revision"] as const) {
      const a = await run(s, 16);
      const seeds = a.proposer.calls.map((c) => c.seed);
      assert.equal(new Set(seeds).size, seeds.length, `${s} reused a seed`);
      const b = await run(s, 16);
      assert.deepEqual(
        b.proposer.calls.map((c) => c.seed),
        seeds,
      );
      assert.equal(b.response.answer, a.response.answer);
    }
  });
});

describe("bestOfN", () => {
  it("counts one generation per sample, probe included, and scores every sample", async () => {
    const { response, proposer, verifier } = await run("bestOfN", 16, { engine: off });
    assert.equal(response.usage?.generations, 16);
    assert.deepEqual(
      proposer.calls.map((c) => c.n),
      [4, 12],
    );
    assert.ok(proposer.calls.every((c) => !c.stopAtStepEnd));
    assert.equal(
      verifier.calls.reduce((s, c) => s + c.solutions.length, 0),
      16,
    );
    assert.ok(sameAnswer(response.answer, DEFAULT_PROBLEM.answer), response.answer);
  });
});

describe("majority", () => {
  it("calls the verifier only for the probe", async () => {
    const { response, verifier } = await run("majority", 16, { engine: off });
    assert.equal(verifier.calls.length, 1);
    assert.equal(response.usage?.generations, 16);
    assert.ok(response.score > 0 && response.score <= 1, "score is the winner's vote share");
  });
});

describe("beam", () => {
  it("expands N/M prefixes by M one step at a time", async () => {
    const { response, proposer } = await run("beam", 16);
    // Probe 4, then 12 beams: width 4, keep 3.
    assert.equal(response.usage?.generations, 16);
    const steps = proposer.calls.filter((c) => c.stopAtStepEnd);
    assert.equal(steps[0]?.n, 12);
    assert.ok(steps.slice(1).every((c) => c.n === 4));
    assert.equal(response.config?.beamWidth, 4);
  });

  it("stops at the step cap", async () => {
    const { proposer } = await run("beam", 16, { problem: { steps: 30 } });
    const stepCalls = proposer.calls.filter((c) => c.stopAtStepEnd).length;
    // The default override maxSteps is 40 > 30 steps; the table's bin-3 cap is 10.
    assert.ok(stepCalls <= 1 + 9 * 3, `${stepCalls} step calls`);
  });
});

describe("lookahead", () => {
  it("ranks steps by greedy rollouts and counts them as generations", async () => {
    const { response, proposer } = await run("lookahead", 16);
    const k = response.config?.lookahead ?? 0;
    assert.ok(k >= 1);
    // 12 generations left after the probe; each beam costs k + 1; beams come in multiples of M.
    const width = response.config?.beamWidth ?? 0;
    const beams = Math.floor(Math.floor(12 / (k + 1)) / width) * width;
    assert.equal(response.usage?.generations, 4 + beams * (k + 1));
    assert.ok(proposer.calls.some((c) => c.temperature === 0 && c.stopAtStepEnd));
    assert.ok((response.usage?.generations ?? 99) <= 16);
  });
});

describe("dvts", () => {
  it("grows N/M independent subtrees", async () => {
    const { response, proposer } = await run("dvts", 16);
    assert.equal(response.usage?.generations, 16);
    const first = proposer.calls.filter((c) => c.stopAtStepEnd && !c.prompt.includes("Step 1"));
    // 12 beams of width 4: 3 subtrees, each expanding its root by 4.
    assert.deepEqual(
      first.map((c) => c.n),
      [4, 4, 4],
    );
  });
});

describe("revision", () => {
  it("plans chains by the sequential ratio", () => {
    assert.deepEqual(chainPlan(16, 0.25, 0).lengths, [4, 4, 4, 4]);
    assert.deepEqual(chainPlan(16, 1, 0).lengths, [16]);
    assert.deepEqual(chainPlan(16, 0, 4).lengths.length, 16);
    // One chain, four probe samples: one starts the chain, three stay plain candidates.
    assert.deepEqual(chainPlan(16, 1, 4).lengths, [13]);
    for (const [n, r, p] of [
      [16, 0.3, 4],
      [7, 0.5, 4],
      [64, 0.125, 2],
    ] as const) {
      const { lengths } = chainPlan(n, r, p);
      assert.equal(lengths.reduce((a, b) => a + b, 0) + Math.max(0, p - lengths.length), n);
    }
  });

  it("never carries an empty attempt into a chain's context", async () => {
    // A model whose first attempts all come back empty (say, cut off before any text).
    const inner = new FakeProposer({ problem: { slip: 0.3 } });
    const prompts: PromptInput[] = [];
    const proposer = {
      async generate(request: Parameters<FakeProposer["generate"]>[0]) {
        prompts.push(request.prompt);
        const result = await inner.generate(request);
        if (prompts.length > 4) return result;
        return { ...result, completions: result.completions.map((c) => ({ ...c, text: "" })) };
      },
    };
    const context = makeContext({ proposer, verifier: new FakeVerifier() });
    const response = await createEngine(off).solve(
      makeRequest({
        strategy: Strategy.revision,
        difficultyHint: 1,
        budget: { maxGenerations: 16 },
      }),
      context,
    );
    assert.equal(response.usage?.generations, 16, "an empty attempt still counts");
    assert.equal(prompts.length, 16);
    // Round 2: nothing to revise yet, so each chain starts afresh; later rounds carry only text.
    for (const prompt of prompts.slice(4, 8)) assert.deepEqual(prompt.attempts, []);
    for (const prompt of prompts) {
      assert.ok(
        prompt.attempts.every((a) => a.trim() !== ""),
        JSON.stringify(prompt.attempts),
      );
    }
    assert.ok(prompts.slice(8).every((p) => p.attempts.length > 0));
  });

  it("carries each chain's earlier attempts into its revision prompts", async () => {
    // Bin 1's table: revision at ratio 0.25. The hint skips the probe.
    const { response, proposer } = await run("revision", 16, { engine: off, hint: 1 });
    assert.equal(response.config?.sequentialRatio, 0.25);
    assert.equal(response.usage?.generations, 16);
    const revisions = proposer.calls.filter((c) => c.prompt.includes("Revised solution"));
    // 4 chains × 4 attempts: 4 first attempts, then 12 revisions.
    assert.equal(revisions.length, 12);
    assert.ok(revisions.some((c) => c.prompt.includes("Attempt 3:")));
    assert.ok(revisions.every((c) => !c.prompt.includes("Attempt 4:")));
  });
});

describe("rounds", () => {
  it("draws best-of-N in one call when early stopping is off", async () => {
    const { response, proposer } = await run("bestOfN", 64, {
      engine: { earlyStopping: { rule: "off", rounds: 8 } },
    });
    assert.equal(response.usage?.generations, 64);
    // The probe's 4, then the other 60 in one call.
    assert.deepEqual(
      proposer.calls.map((c) => c.n),
      [4, 60],
    );
  });

  it("samples in rounds when early stopping may stop", async () => {
    const { proposer } = await run("majority", 64, {
      engine: { earlyStopping: { rule: "margin", margin: 100, rounds: 8 } },
    });
    assert.deepEqual(
      proposer.calls.map((c) => c.n),
      [4, 8, 8, 8, 8, 8, 8, 8, 4],
    );
  });
});
