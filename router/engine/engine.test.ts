import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Estimator } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Aggregation, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "./engine.ts";
import { sameAnswer } from "./equivalence.ts";
import { EngineError } from "./errors.ts";
import { DEFAULT_PROBLEM, fakeBackends } from "./testing/fake-backends.ts";
import { makeContext, makePolicy, makeRequest } from "./testing/fixtures.ts";

const engine = createEngine();
const invalid = (pattern: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.code === "INVALID_ARGUMENT" && pattern.test(e.message);

describe("solve: validation", () => {
  const b = fakeBackends();
  const cases: [string, Parameters<typeof makeRequest>[0], RegExp][] = [
    ["an empty prompt", { prompt: "" }, /prompt is empty/],
    ["a whitespace prompt", { prompt: "  \n\t" }, /prompt is empty/],
    ["a huge prompt", { prompt: "x".repeat(40_000) }, /prompt is 40000 characters.*limit of 32000/],
    ["a hint out of range", { difficultyHint: 4 }, /difficulty_hint.*between 1 and 3/],
    ["a hint of 0", { difficultyHint: 0 }, /difficulty_hint/],
    ["an unknown strategy", { strategy: 42 as Strategy }, /strategy 42/],
    ["a budget over the max", { budget: { maxGenerations: 65 } }, /max_generations.*65.*64/],
  ];
  for (const [what, init, message] of cases) {
    it(`rejects ${what} before calling any backend`, async () => {
      await assert.rejects(engine.solve(makeRequest(init), makeContext(b)), invalid(message));
      assert.equal(b.proposer.calls.length, 0);
    });
  }

  it("requires a hint when the policy estimates by hint", async () => {
    const policy = makePolicy({ estimator: Estimator.hint });
    await assert.rejects(
      engine.solve(makeRequest(), makeContext(b, { policy })),
      invalid(/difficulty_hint.*required/),
    );
  });
});

describe("solve", () => {
  it("probes on bin 0, searches on the bin's pools and fills the response", async () => {
    const b = fakeBackends({ problem: { slip: 0.3 } });
    const context = makeContext(b);
    const r = await engine.solve(makeRequest({ includeCandidates: true }), context);
    assert.equal(r.requestId, "req-1");
    assert.deepEqual(context.binsAsked, [0, r.bin]);
    assert.ok(r.bin >= 1 && r.bin <= 3);
    assert.ok(r.difficultyScore > 0);
    assert.equal(r.budgetLevel, 1);
    assert.equal(r.config?.generations, 16);
    assert.ok(sameAnswer(r.answer, DEFAULT_PROBLEM.answer), r.answer);
    assert.ok(r.solution.includes("\\boxed"));
    assert.ok(r.candidates.length >= 4);
    assert.ok(r.candidates.every((c) => c.stepScores.length > 0));
    assert.equal(r.usage?.proposerCompletionTokens, BigInt(b.proposer.generatedTokens));
    assert.equal(r.usage?.backendCalls, b.proposer.calls.length + b.verifier.calls.length);
  });

  it("streams difficulty, step/candidate events and ends with the final response", async () => {
    const context = makeContext(fakeBackends());
    const r = await engine.solve(makeRequest({ strategy: Strategy.beam }), context);
    const kinds = context.events.map((e) => e.event.case);
    assert.ok(kinds.includes("difficulty"));
    assert.ok(kinds.includes("step"));
    assert.ok(kinds.includes("candidate"));
    assert.equal(kinds.at(-1), "final");
    assert.deepEqual(context.events.at(-1)?.event.value, r);
    const difficulty = context.events.find((e) => e.event.case === "difficulty");
    assert.equal(difficulty?.event.case === "difficulty" && difficulty.event.value.bin, r.bin);
  });

  it("uses the hint's bin without a probe", async () => {
    const b = fakeBackends();
    const context = makeContext(b);
    const r = await engine.solve(makeRequest({ difficultyHint: 3 }), context);
    assert.equal(r.bin, 3);
    assert.equal(r.difficultyScore, 0);
    assert.equal(r.config?.strategy, Strategy.beam);
    assert.ok(!context.binsAsked.includes(0));
    assert.ok(b.proposer.calls[0]?.stopAtStepEnd, "the first call is the beam search, not a probe");
  });

  it("makes a request id when the client sent none", async () => {
    const r = await engine.solve(makeRequest({ requestId: "" }), makeContext(fakeBackends()));
    assert.match(r.requestId, /^[0-9a-f-]{36}$/);
  });

  it("maps a backend failure to UNAVAILABLE naming the role", async () => {
    const b = fakeBackends({ failProposerFrom: 1 });
    await assert.rejects(
      engine.solve(makeRequest({ strategy: Strategy.bestOfN }), makeContext(b)),
      (e) =>
        e instanceof EngineError &&
        e.code === "UNAVAILABLE" &&
        /proposer.*ECONNREFUSED/.test(e.message),
    );
  });

  it("a failure after the probe carries what the request had spent, for the transport to count", async () => {
    // Call 0 is the probe; the search's first call fails.
    const b = fakeBackends({ failProposerFrom: 1 });
    const error = await engine.solve(makeRequest({ strategy: Strategy.beam }), makeContext(b)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineError, String(error));
    assert.equal(error.code, "UNAVAILABLE");
    const probeTokens = b.proposer.calls[0]?.completionTokens ?? 0;
    assert.ok(probeTokens > 0);
    assert.ok(
      (error.usage?.proposerCompletionTokens ?? 0) >= probeTokens,
      JSON.stringify(error.usage),
    );
    assert.ok((error.usage?.verifierTokens ?? 0) > 0, "the probe was scored");
  });

  it("answers CANCELLED when the caller cancels before anything is scored", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      engine.solve(makeRequest(), makeContext(fakeBackends(), { signal: controller.signal })),
      (e) => e instanceof EngineError && e.code === "CANCELLED",
    );
  });
});

describe("solve: scoring", () => {
  it("aggregates step scores by the policy's aggregation", async () => {
    for (const [aggregation, reduce] of [
      [Aggregation.min, (s: number[]) => Math.min(...s)],
      [Aggregation.prod, (s: number[]) => s.reduce((p, x) => p * x, 1)],
      [Aggregation.last, (s: number[]) => s.at(-1) ?? 0],
    ] as const) {
      const context = makeContext(fakeBackends(), { policy: makePolicy({ aggregation }) });
      const r = await engine.solve(makeRequest({ includeCandidates: true }), context);
      for (const c of r.candidates) assert.ok(Math.abs(c.score - reduce(c.stepScores)) < 1e-12);
    }
  });

  it("clamps scores a verifier reports outside [0, 1]", async () => {
    const b = fakeBackends();
    const verifier = {
      score: async (req: Parameters<typeof b.verifier.score>[0]) => {
        const r = await b.verifier.score(req);
        return {
          ...r,
          stepScores: r.stepScores.map((s) => s.map((x, j) => (j === 0 ? Number.NaN : x * 5))),
        };
      },
    };
    const r = await engine.solve(
      makeRequest({ includeCandidates: true, strategy: Strategy.bestOfN }),
      makeContext({ proposer: b.proposer, verifier }),
    );
    for (const c of r.candidates) assert.ok(c.stepScores.every((x) => x >= 0 && x <= 1));
  });
});

describe("validateRequest", () => {
  it("applies Solve's checks without a backend", () => {
    assert.throws(
      () => createEngine().validate(makeRequest({ prompt: " " }), makePolicy()),
      invalid(/prompt is empty/),
    );
    assert.doesNotThrow(() => createEngine().validate(makeRequest(), makePolicy()));
  });
});

describe("estimateDifficulty", () => {
  it("runs only the probe and says which config would run", async () => {
    const b = fakeBackends();
    const r = await engine.estimateDifficulty(makeRequest(), makeContext(b));
    assert.equal(b.proposer.calls.length, 1);
    assert.equal(b.proposer.calls[0]?.n, 4);
    assert.equal(r.usage?.generations, 4);
    assert.ok(r.bin >= 1 && r.bin <= 3);
    assert.equal(r.config?.generations, 16);
  });
});
