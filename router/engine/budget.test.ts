// The budget is never exceeded: every strategy, many generation and token budgets, short and long
// solutions. A request either answers within its budget or fails with INVALID_ARGUMENT (when
// the token bound leaves no room for even one complete candidate) — never over it, and never
// RESOURCE_EXHAUSTED, which clients treat as retryable.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "./engine.ts";
import { EngineError } from "./errors.ts";
import { STRATEGY_NAMES } from "./table.ts";
import { fakeBackends } from "./testing/fake-backends.ts";
import { makeContext, makeRequest } from "./testing/fixtures.ts";

describe("budget guard", () => {
  it("never exceeds max_generations or max_tokens", async () => {
    const engine = createEngine({ maxSolutionTokens: 400, maxStepTokens: 60 });
    let runs = 0;
    let partial = 0;
    let exhausted = 0;
    for (const strategy of [undefined, ...STRATEGY_NAMES]) {
      for (const generations of [1, 2, 3, 5, 8, 13, 16, 33, 64]) {
        for (const maxTokens of [0, 3, 7, 40, 150, 600, 2500]) {
          for (const steps of [3, 7]) {
            const b = fakeBackends({ problem: { steps, slip: 0.25 } });
            const request = makeRequest({
              requestId: `b-${strategy}-${generations}-${maxTokens}-${steps}`,
              budget: { maxGenerations: generations, maxTokens: BigInt(maxTokens) },
              ...(strategy ? { strategy: Strategy[strategy] } : {}),
            });
            runs++;
            try {
              const r = await engine.solve(request, makeContext(b));
              const u = r.usage;
              assert.ok(u, "usage is filled");
              const label = `${strategy ?? "table"} N=${generations} T=${maxTokens} steps=${steps}`;
              assert.ok(u.generations <= generations, `${label}: ${u.generations} generations`);
              assert.equal(u.proposerCompletionTokens, BigInt(b.proposer.generatedTokens), label);
              if (maxTokens > 0) {
                assert.ok(
                  u.proposerCompletionTokens <= BigInt(maxTokens),
                  `${label}: ${u.proposerCompletionTokens} tokens`,
                );
              }
              assert.ok(
                b.proposer.calls.every((c) => c.maxTokens <= (c.stopAtStepEnd ? 60 : 400)),
                `${label}: a call asked for more than the per-call limit`,
              );
              if (r.partial) partial++;
            } catch (error) {
              assert.ok(
                error instanceof EngineError && error.code === "INVALID_ARGUMENT",
                String(error),
              );
              // Only a bound below one token per probe sample leaves no candidate at all.
              assert.ok(maxTokens > 0 && maxTokens < 4, `exhausted at max_tokens=${maxTokens}`);
              exhausted++;
            }
          }
        }
      }
    }
    // The sweep exercised the cut paths, not only the comfortable budgets.
    assert.ok(
      partial > 0 && exhausted > 0,
      `${runs} runs, ${partial} partial, ${exhausted} exhausted`,
    );
  });
});
