// Every strategy end to end: gRPC → router → engine → HTTP → simulated vLLM proposer and PRM.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type SolveEvent, Strategy, StrategySchema } from "../../proto/gen/mull/v1/router_pb.ts";
import { POLICY, type Stack, startStack } from "./harness.ts";

let stack: Stack;

before(async () => {
  stack = await startStack({
    bins: 2,
    // One level whose fields suit every strategy, so a strategy override can use it as is.
    levels: [
      {
        strategy: Strategy.bestOfN,
        generations: 4,
        beamWidth: 2,
        lookahead: 1,
        sequentialRatio: 0.5,
        maxSteps: 12,
      },
    ],
    router: { metricsPort: 0 },
  });
});
after(() => stack.close());

const prompt = "Problem 3: If f(x) = 3x^2 - 5x + 7, what is f(4)?";

for (const { name, number } of StrategySchema.values.filter((v) => v.number !== 0)) {
  test(`${name} answers through the router with exact usage`, async () => {
    const response = await stack.client.solve(
      { policy: POLICY, prompt, strategy: number as Strategy, budget: { maxGenerations: 4 } },
      { timeoutMs: 30_000 },
    );
    assert.equal(response.config?.strategy, number);
    assert.notEqual(response.answer, "", "an answer was extracted");
    assert.ok(response.bin >= 1 && response.bin <= 2, `bin ${response.bin} is a policy bin`);
    assert.ok(response.usage !== undefined);
    assert.ok(response.usage.generations >= 1 && response.usage.generations <= 4);
    assert.ok(response.usage.proposerCompletionTokens > 0n);
    assert.ok(response.usage.verifierTokens > 0n || name === "majority");
    assert.ok(response.usage.backendCalls >= 2);
    assert.notEqual(response.requestId, "", "the router assigns a request id");
  });
}

test("SolveStream sends progress, the difficulty, and the final response last, once", async () => {
  const events: SolveEvent[] = [];
  for await (const event of stack.client.solveStream(
    { policy: POLICY, prompt, requestId: "stream-1", includeCandidates: true },
    { timeoutMs: 30_000 },
  )) {
    events.push(event);
  }
  const kinds = events.map((e) => e.event.case);
  assert.equal(kinds.filter((k) => k === "difficulty").length, 1);
  assert.ok(kinds.length > 2, "progress events before the final one");
  assert.equal(kinds.at(-1), "final");
  assert.equal(kinds.filter((k) => k === "final").length, 1);
  const final = events.at(-1)?.event;
  assert.ok(final?.case === "final");
  assert.equal(final.value.requestId, "stream-1");
  assert.ok(final.value.candidates.length >= 1);
});

test("EstimateDifficulty runs only the probe and names the config it would use", async () => {
  const estimate = await stack.client.estimateDifficulty(
    { policy: POLICY, prompt },
    { timeoutMs: 30_000 },
  );
  assert.ok(estimate.bin >= 1 && estimate.bin <= 2);
  assert.ok(estimate.difficultyScore > 0 && estimate.difficultyScore < 1);
  assert.equal(estimate.config?.strategy, Strategy.bestOfN);
  assert.equal(estimate.usage?.generations, 2, "the policy's two probe samples");
});

test("metrics count the requests by policy, strategy and code, on their own port", async () => {
  const response = await fetch(`http://127.0.0.1:${stack.router.metricsPort}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), stack.router.metrics.registry.contentType);
  const text = await response.text();
  assert.match(text, /mull_requests_total\{policy="math",strategy="beam",code="OK"\} 1/);
  assert.match(text, /mull_tokens_total\{policy="math",bin="\d",role="verifier"\} \d+/);
  assert.match(text, /mull_generations_total\{policy="math",bin="\d",strategy="bestOfN"\} \d+/);
  assert.doesNotMatch(text, /f\(4\)/, "no prompt text in labels");
  const health = await fetch(`http://127.0.0.1:${stack.router.metricsPort}/healthz`);
  assert.equal(health.status, 200);
  await health.text();
});
