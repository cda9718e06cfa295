// --step-down-queue: once the bin's own queue in this router is long, new requests run one budget
// level lower at once, say so in the response, and are counted per bin.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { type Level, POLICY, startStack } from "./harness.ts";

// Two levels: a step down from the table's level 1 is observable as level 0.
const twoLevels: Level[] = [
  { strategy: Strategy.bestOfN, generations: 2 },
  { strategy: Strategy.bestOfN, generations: 4 },
];

test("with 2 requests per replica already in the bin, the next ones step down a level", async () => {
  const stack = await startStack({
    bins: 1,
    speed: speedConfig(5),
    levels: twoLevels,
    router: { stepDownQueue: 2 },
  });
  try {
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        stack.client.solve(
          { policy: POLICY, prompt: `Problem ${i}: What is ${i} * 3?`, difficultyHint: 1 },
          { timeoutMs: 60_000 },
        ),
      ),
    );
    const levels = responses.map((r) => [r.budgetLevel, r.steppedDown]).sort();
    assert.deepEqual(levels, [
      [0, true],
      [0, true],
      [1, false],
      [1, false],
    ]);
    const metric = await stack.router.metrics.registry.getSingleMetricAsString(
      "mull_level_step_downs_total",
    );
    assert.match(metric, /mull_level_step_downs_total\{policy="math",bin="1"\} 2/);
    // The queue drained: the next request runs at the table's level again.
    const alone = await stack.client.solve(
      { policy: POLICY, prompt: "Problem 9: What is 2 + 2?", difficultyHint: 1 },
      { timeoutMs: 60_000 },
    );
    assert.deepEqual([alone.budgetLevel, alone.steppedDown], [1, false]);
  } finally {
    await stack.close();
  }
});

test("without the flag the router never steps down", async () => {
  const stack = await startStack({
    bins: 1,
    speed: speedConfig(5),
    levels: twoLevels,
  });
  try {
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        stack.client.solve(
          { policy: POLICY, prompt: `Problem ${i}: What is ${i} * 5?`, difficultyHint: 1 },
          { timeoutMs: 60_000 },
        ),
      ),
    );
    assert.deepEqual(
      responses.map((r) => [r.budgetLevel, r.steppedDown]),
      Array.from({ length: 4 }, () => [1, false]),
    );
  } finally {
    await stack.close();
  }
});
