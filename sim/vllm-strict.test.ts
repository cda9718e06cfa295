// The sim is as strict as vLLM where a client could get it wrong: seeds of n > 1, greedy with
// n > 1, pooling tasks, stop token ids, the context limit and its 400, and per-choice prompt
// tokens in the metrics. Each case names vLLM's behaviour (../shared VLLM.md).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type SimServer, startServer } from "./server.ts";
import { metricValue, postJson } from "./testing.ts";

const PROBLEM = "Problem 3: How many marbles are left in the jar?";
// The sim counts ceil(characters / 4) tokens (sim/tokens.ts): 12 for PROBLEM.
const PROMPT_TOKENS = Math.ceil(PROBLEM.length / 4);

describe("the sim is as strict as vLLM", () => {
  let proposer: SimServer;
  let verifier: SimServer;
  before(async () => {
    proposer = await startServer({ role: "proposer", maxModelLen: 512 });
    verifier = await startServer({ role: "verifier", maxModelLen: 512 });
  });
  after(async () => {
    await proposer.close();
    await verifier.close();
  });
  const complete = (body: Record<string, unknown>) =>
    postJson(`${proposer.url}/v1/completions`, { prompt: PROBLEM, max_tokens: 300, ...body });
  const texts = (json: Record<string, unknown>) =>
    (json.choices as { text: string }[]).map((c) => c.text);

  it("samples choice i of seed s as choice 0 of seed s + i", async () => {
    const many = await complete({ n: 4, seed: 100 });
    assert.equal(many.status, 200);
    const singles = await Promise.all([100, 101, 102, 103].map((seed) => complete({ seed })));
    assert.deepEqual(
      texts(many.json),
      singles.map((r) => texts(r.json)[0]),
    );
    assert.equal(new Set(texts(many.json)).size > 1, true, "the choices differ");
  });

  it("answers temperature 0 with n > 1 with vLLM's 400", async () => {
    const { status, json } = await complete({ n: 2, temperature: 0 });
    assert.equal(status, 400);
    assert.deepEqual(json, {
      error: {
        message: "n must be 1 when using greedy sampling, got 2.",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    });
    assert.equal((await complete({ n: 1, temperature: 0 })).status, 200);
  });

  it("accepts only token_classify (or no task) on /pooling", async () => {
    const input = `${PROBLEM}\n\nStep 1: start.<extra_0>`;
    const url = `${verifier.url}/pooling`;
    assert.equal((await postJson(url, { input, task: "token_classify" })).status, 200);
    assert.equal((await postJson(url, { input })).status, 200);
    for (const task of ["encode", "reward", "step_reward", "embed"]) {
      const { status, json } = await postJson(url, { input, task });
      assert.equal(status, 400, task);
      assert.equal((json.error as { type: string }).type, "BadRequestError");
    }
  });

  it("ends some solutions on a stop token id (an integer stop_reason), some on EOS (null)", async () => {
    const reasons = new Set<unknown>();
    for (let seed = 0; seed < 24; seed++) {
      const { json } = await complete({ seed, max_tokens: 400 });
      const [choice] = json.choices as { finish_reason: string; stop_reason: unknown }[];
      if (choice?.finish_reason === "stop") reasons.add(choice.stop_reason);
    }
    assert.ok(reasons.has(null), "EOS");
    assert.ok(
      [...reasons].some((r) => Number.isInteger(r)),
      `a stop token id among ${[...reasons]}`,
    );
  });

  it("enforces --max-model-len with vLLM's 400 and reports it on /v1/models", async () => {
    const models = await fetch(`${proposer.url}/v1/models`);
    const card = ((await models.json()) as { data: { max_model_len: number }[] }).data[0];
    assert.equal(card?.max_model_len, 512);
    const over = 512 - PROMPT_TOKENS + 1;
    const { status, json } = await complete({ max_tokens: over });
    assert.equal(status, 400);
    assert.deepEqual(json, {
      error: {
        message:
          "This model's maximum context length is 512 tokens. However, you requested 513 " +
          `tokens (${PROMPT_TOKENS} in the messages, ${over} in the completion). Please reduce ` +
          "the length of the messages or completion.",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    });
    assert.equal((await complete({ max_tokens: over - 1 })).status, 200);
    const long = await postJson(`${verifier.url}/pooling`, { input: "x".repeat(4 * 513) });
    assert.equal(long.status, 400);
    assert.match((long.json.error as { message: string }).message, /maximum context length/);
  });

  it("counts prompt tokens once per choice in vllm:prompt_tokens_total", async () => {
    const server = await startServer({ role: "proposer" });
    try {
      const { json } = await postJson(`${server.url}/v1/completions`, {
        prompt: PROBLEM,
        n: 3,
        max_tokens: 50,
        seed: 1,
      });
      const usage = json.usage as { prompt_tokens: number };
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const counted = metricValue(text, "vllm:prompt_tokens_total", { model_name: server.model });
      assert.equal(usage.prompt_tokens, PROMPT_TOKENS, "usage: once per request");
      assert.equal(counted, 3 * PROMPT_TOKENS, "metric: once per choice");
    } finally {
      await server.close();
    }
  });
});
