// The router's proposer against the strict sim's context limit (--max-model-len, vLLM 0.11's
// 400): it reads max_model_len from /v1/models, clamps max_tokens to what fits, drops the oldest
// attempts of a revision prompt that would not fit, and ends a branch that cannot fit at all,
// never failing the call. And a step call cut by max_tokens is a truncated step.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fitContext, tokenBound } from "../../router/backends/context-fit.ts";
import { EndpointPool } from "../../router/backends/endpoint-pool.ts";
import { DEFAULT_CALL_OPTIONS } from "../../router/backends/pool-caller.ts";
import { VllmProposer } from "../../router/backends/vllm-proposer.ts";
import type { GenerateRequest, PromptInput } from "../../router/engine/backend.ts";
import { proposerFormat } from "../../router/formats/prompt.ts";
import { type SimServer, startServer } from "../../sim/server.ts";

const MAX_MODEL_LEN = 1024;
const problem = "Problem 8: How many pencils does Ana have after giving away a third of them?";

describe("context length against the strict sim", () => {
  let server: SimServer;
  let proposer: VllmProposer;
  before(async () => {
    server = await startServer({ role: "proposer", maxModelLen: MAX_MODEL_LEN });
    proposer = new VllmProposer({
      pool: new EndpointPool("proposer", server.model, [server.url]),
      affinity: new Map(),
      format: proposerFormat(undefined),
      call: DEFAULT_CALL_OPTIONS,
    });
  });
  after(() => server.close());

  const generate = (prompt: PromptInput, over: Partial<GenerateRequest> = {}) =>
    proposer.generate({
      prompt,
      n: 2,
      maxTokens: 2048,
      temperature: 0.8,
      seed: 7,
      stopAtStepEnd: false,
      signal: new AbortController().signal,
      ...over,
    });

  it("clamps max_tokens to what fits instead of getting the 400", async () => {
    // 2048 > 1024 on its own: sent as is, the sim answers 400.
    const result = await generate({ problem, attempts: [], steps: [] });
    assert.equal(result.completions.length, 2);
    assert.ok(result.completions.some((c) => c.text !== ""));
  });

  it("drops the oldest attempts of a revision prompt that would not fit", async () => {
    const attempt = (i: number) => `Step 1: attempt ${i} ${"reasoning ".repeat(30)}\\boxed{${i}}.`;
    const attempts = [1, 2, 3, 4].map(attempt);
    // Four attempts are > 1024 bytes; the newest fit.
    assert.ok(attempts.join("").length > MAX_MODEL_LEN);
    const result = await generate({ problem, attempts, steps: [] });
    assert.equal(result.completions.length, 2);
    assert.ok(result.completions.every((c) => c.text !== ""));
  });

  it("ends a branch whose steps alone no longer fit, without failing", async () => {
    const steps = Array.from({ length: 40 }, (_, i) => `Step ${i + 1}: ${"x".repeat(40)}.`);
    const result = await generate({ problem, attempts: [], steps }, { stopAtStepEnd: true });
    assert.deepEqual(
      result.completions.map((c) => [c.text, c.finished]),
      [
        ["", true],
        ["", true],
      ],
    );
  });

  it("reads a step cut by max_tokens as a truncated step, not a finished solution", async () => {
    const result = await generate(
      { problem, attempts: [], steps: [] },
      { stopAtStepEnd: true, maxTokens: 2, n: 1 },
    );
    const [step] = result.completions;
    assert.equal(step?.truncated, true);
    assert.equal(step?.finished, false);
  });
});

describe("greedy sampling against the strict sim", () => {
  it("asks vLLM for one greedy sample (n > 1 would be its 400) and returns it n times", async () => {
    const server = await startServer({ role: "proposer" });
    try {
      const proposer = new VllmProposer({
        pool: new EndpointPool("proposer", server.model, [server.url]),
        affinity: new Map(),
        format: proposerFormat(undefined),
        call: DEFAULT_CALL_OPTIONS,
      });
      const result = await proposer.generate({
        prompt: { problem, attempts: [], steps: [] },
        n: 3,
        maxTokens: 512,
        temperature: 0,
        seed: 1,
        stopAtStepEnd: false,
        signal: new AbortController().signal,
      });
      assert.equal(result.completions.length, 3);
      assert.equal(new Set(result.completions.map((c) => c.text)).size, 1);
      assert.ok((result.completions[0]?.text ?? "") !== "");
    } finally {
      await server.close();
    }
  });
});

describe("fitContext", () => {
  const render = (input: PromptInput) =>
    tokenBound([input.problem, ...input.attempts, ...input.steps].join("\n"));
  const input = {
    problem: "p".repeat(100),
    attempts: ["a".repeat(300), "b".repeat(300)],
    steps: [],
  };

  it("keeps everything and clamps nothing when it fits", () => {
    assert.deepEqual(fitContext(input, render, 4096, 512), { input, maxTokens: 512, dropped: 0 });
  });

  it("clamps max_tokens to the room left", () => {
    const fitted = fitContext(input, render, 1000, 512);
    assert.equal(fitted?.dropped, 0);
    assert.equal(fitted?.maxTokens, 1000 - render(input));
  });

  it("drops the oldest attempts first", () => {
    const fitted = fitContext(input, render, 450, 16);
    assert.equal(fitted?.dropped, 1);
    assert.deepEqual(fitted?.input.attempts, ["b".repeat(300)]);
  });

  it("counts an upper bound: a multi-byte character costs its bytes", () => {
    assert.equal(tokenBound("é"), 2);
    assert.equal(tokenBound("数"), 3);
  });

  it("gives up when not even one token fits", () => {
    assert.equal(fitContext(input, render, 50, 16), undefined);
  });
});
