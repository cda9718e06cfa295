// The router counts how each solved request ended: stopped early by a decisive vote, or answered
// with the best so far (partial), per policy and bin, and its tokens per bin. The dashboards'
// Router and efficiency panels read these counters.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type SolveResponse, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import type { RouterEngine } from "../../router/service/solve-service.ts";
import { POLICY, startStack } from "./harness.ts";

/** The value of one series in Prometheus text, 0 when absent. */
function value(text: string, metric: string, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${metric}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

test("mull_early_stops_total and mull_partial_answers_total count the answers that were", async () => {
  const real = createEngine({ earlyStopping: { rule: "exact", rounds: 4 } });
  let calls = 0;
  // The real engine, with every third answer marked partial as a cut-short search would be.
  const engine: RouterEngine = {
    validate: real.validate.bind(real),
    estimateDifficulty: real.estimateDifficulty.bind(real),
    solve: async (...args: Parameters<RouterEngine["solve"]>) => {
      const r = await real.solve(...args);
      return calls++ % 3 === 0 ? { ...r, partial: true } : r;
    },
  };
  const stack = await startStack({
    bins: 1,
    engine,
    levels: [{ strategy: Strategy.majority, generations: 16 }],
  });
  try {
    const answers: SolveResponse[] = [];
    for (let i = 0; i < 9; i++) {
      answers.push(
        await stack.client.solve(
          {
            policy: POLICY,
            prompt: `Problem ${i}: what is ${i} + 2?`,
            difficultyHint: 1,
            budget: { maxGenerations: 16 },
          },
          { timeoutMs: 30_000 },
        ),
      );
    }
    const text = await stack.router.metrics.registry.metrics();
    const labels = `policy="${POLICY}",bin="1"`;
    const stopped = answers.filter((a) => a.stoppedEarly).length;
    assert.ok(stopped > 0, "easy prompts with 16 samples stop early");
    assert.equal(value(text, "mull_early_stops_total", labels), stopped);
    assert.equal(value(text, "mull_partial_answers_total", labels), 3);
    const proposerTokens = answers.reduce(
      (s, a) =>
        s +
        Number((a.usage?.proposerPromptTokens ?? 0n) + (a.usage?.proposerCompletionTokens ?? 0n)),
      0,
    );
    assert.ok(proposerTokens > 0);
    assert.equal(value(text, "mull_tokens_total", `${labels},role="proposer"`), proposerTokens);
  } finally {
    await stack.close();
  }
});
