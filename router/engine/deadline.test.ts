// Deadlines on a virtual clock: each fake call advances it, and remainingMs reads it, so the
// tests are exact and never wait on a real timer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "./engine.ts";
import { EngineError } from "./errors.ts";
import { type FakeClock, fakeBackends } from "./testing/fake-backends.ts";
import { makeContext, makeRequest } from "./testing/fixtures.ts";

// Rounds that never stop early (no lead is 100× the remaining samples): with the rule "off",
// best-of-N would draw everything in one call and there would be no round to cut.
const engine = createEngine({ earlyStopping: { rule: "margin", margin: 100, rounds: 8 } });

function setup(deadlineMs: number) {
  const clock: FakeClock = { now: 0 };
  const b = fakeBackends({ clock, proposerMs: 100, verifierMs: 20, problem: { slip: 0.2 } });
  return { b, clock, context: makeContext(b, { clock, deadlineMs }) };
}

describe("deadlines", () => {
  it("returns the best so far, marked partial, when no room is left for another round", async () => {
    // Probe round: 120 ms. Each best-of-N round of 2 more samples: 120 ms. 400 ms fit 3 rounds.
    const { b, context } = setup(400);
    const r = await engine.solve(
      makeRequest({ strategy: Strategy.bestOfN, budget: { maxGenerations: 16 } }),
      context,
    );
    assert.equal(r.partial, true);
    assert.ok(r.answer !== "");
    assert.ok((r.usage?.generations ?? 0) < 16);
    assert.equal(
      b.proposer.calls.length,
      3,
      "the probe and two rounds; a fourth would end past the deadline",
    );
  });

  it("cuts a tree search short and answers from what it has", async () => {
    for (const strategy of ["beam", "lookahead", "dvts", "revision"] as const) {
      const { context } = setup(700);
      const r = await engine.solve(
        makeRequest({
          strategy: Strategy[strategy],
          budget: { maxGenerations: 32 },
          requestId: `d-${strategy}`,
        }),
        context,
      );
      assert.equal(r.partial, true, strategy);
      assert.ok(r.answer !== "", strategy);
    }
  });

  it("fails DEADLINE_EXCEEDED when the deadline passes before any candidate", async () => {
    for (const deadline of [0, 50]) {
      const { context } = setup(deadline);
      await assert.rejects(
        engine.solve(makeRequest(), context),
        (e) => e instanceof EngineError && e.code === "DEADLINE_EXCEEDED",
      );
    }
  });

  it("answers from the probe when the deadline signal fires after it", async () => {
    const b = fakeBackends({ problem: { slip: 0.2 } });
    const controller = new AbortController();
    const context = makeContext(b, { signal: controller.signal });
    const onEvent = context.onEvent;
    context.onEvent = (e) => {
      onEvent?.(e);
      if (e.event.case === "difficulty")
        controller.abort(new DOMException("deadline", "TimeoutError"));
    };
    const r = await engine.solve(makeRequest({ strategy: Strategy.beam }), context);
    assert.equal(r.partial, true);
    assert.equal(r.usage?.generations, 4, "only the probe ran");
    assert.equal(b.proposer.calls.length, 1);
  });

  it("is not partial when the deadline is comfortable", async () => {
    const { context } = setup(1_000_000);
    const r = await engine.solve(makeRequest({ budget: { maxGenerations: 16 } }), context);
    assert.equal(r.partial, false);
  });
});
