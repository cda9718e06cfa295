import assert from "node:assert/strict";
import { test } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { EngineError } from "../engine/errors.ts";
import { parseCompletionRequest } from "./openai-request.ts";

const messages = [
  { role: "system", content: "be brief" },
  { role: "user", content: "first question" },
  { role: "assistant", content: "first answer" },
  {
    role: "user",
    content: [
      { type: "text", text: "What is" },
      { type: "text", text: "7*6?" },
    ],
  },
];

test("chat: the last user message is the problem; mull options and standard fields map", () => {
  const parsed = parseCompletionRequest(
    {
      model: "team/math",
      messages,
      n: 1,
      temperature: 0.3,
      max_tokens: 100,
      max_completion_tokens: 200,
      stream: true,
      stream_options: { include_usage: true },
      mull: {
        max_generations: 8,
        difficulty_hint: 2,
        strategy: "beam",
        candidates: true,
        timeout_ms: 900,
      },
    },
    "chat",
  );
  assert.equal(parsed.model, "team/math");
  assert.equal(parsed.solve.policy, "team/math");
  assert.equal(parsed.solve.prompt, "What is\n7*6?");
  assert.equal(parsed.solve.budget?.maxGenerations, 8);
  assert.equal(parsed.solve.budget?.maxTokens, 200n, "max_completion_tokens wins over max_tokens");
  assert.equal(parsed.solve.difficultyHint, 2);
  assert.equal(parsed.solve.strategy, Strategy.beam);
  assert.equal(parsed.solve.includeCandidates, true);
  assert.equal(parsed.stream, true);
  assert.equal(parsed.includeUsage, true);
  assert.equal(parsed.timeoutMs, 900);
});

test("text: the prompt (or a one-string array); defaults leave the policy in charge", () => {
  for (const prompt of ["2+2?", ["2+2?"]]) {
    const parsed = parseCompletionRequest(
      { model: "math", prompt, max_tokens: 50, mull: { max_tokens: 70 } },
      "text",
    );
    assert.equal(parsed.solve.prompt, "2+2?");
    assert.equal(parsed.solve.budget?.maxTokens, 70n, "mull.max_tokens wins");
    assert.equal(parsed.solve.budget?.maxGenerations, 0);
    assert.equal(parsed.solve.difficultyHint, undefined);
    assert.equal(parsed.solve.strategy, Strategy.STRATEGY_UNSPECIFIED);
    assert.equal(parsed.stream, false);
    assert.equal(parsed.timeoutMs, undefined);
  }
  const auto = parseCompletionRequest(
    { model: "m", prompt: "x", mull: { strategy: "auto" } },
    "text",
  );
  assert.equal(auto.solve.strategy, Strategy.STRATEGY_UNSPECIFIED);
});

test("bad requests are INVALID_ARGUMENT naming the field", () => {
  const chat = { model: "math", messages };
  const cases: [string, unknown, "chat" | "text", RegExp][] = [
    ["not an object", [1], "chat", /JSON object/],
    ["no model", { messages }, "chat", /model is required/],
    ["n", { ...chat, n: 3 }, "chat", /n must be 1/],
    ["no messages", { model: "m", messages: [] }, "chat", /non-empty array/],
    [
      "no user",
      { model: "m", messages: [{ role: "system", content: "x" }] },
      "chat",
      /no user message/,
    ],
    [
      "image part",
      { model: "m", messages: [{ role: "user", content: [{ type: "image_url" }] }] },
      "chat",
      /only text/,
    ],
    ["token prompt", { model: "m", prompt: [1, 2, 3] }, "text", /prompt must be one string/],
    ["two prompts", { model: "m", prompt: ["a", "b"] }, "text", /prompt must be one string/],
    ["mull not object", { ...chat, mull: 3 }, "chat", /mull must be an object/],
    ["mull typo", { ...chat, mull: { max_generation: 3 } }, "chat", /mull has no field/],
    [
      "fraction",
      { ...chat, mull: { max_generations: 1.5 } },
      "chat",
      /mull.max_generations must be a positive integer/,
    ],
    ["zero tokens", { ...chat, max_tokens: 0 }, "chat", /max_tokens must be a positive integer/],
    ["string hint", { ...chat, mull: { difficulty_hint: "2" } }, "chat", /difficulty_hint/],
    ["strategy", { ...chat, mull: { strategy: "Beam" } }, "chat", /mull.strategy must be one of/],
    [
      "candidates",
      { ...chat, mull: { candidates: "yes" } },
      "chat",
      /mull.candidates must be true or false/,
    ],
    ["timeout", { ...chat, mull: { timeout_ms: -5 } }, "chat", /mull.timeout_ms/],
    ["stream", { ...chat, stream: "yes" }, "chat", /stream must be true or false/],
    ["tools", { ...chat, tools: [{ type: "function" }] }, "chat", /tools is not supported/],
    ["logprobs", { ...chat, logprobs: true }, "chat", /logprobs is not supported/],
    ["echo", { model: "m", prompt: "x", echo: true }, "text", /echo is not supported/],
    ["best_of", { model: "m", prompt: "x", best_of: 3 }, "text", /best_of is not supported/],
  ];
  for (const [what, body, kind, message] of cases) {
    assert.throws(
      () => parseCompletionRequest(body, kind),
      (e: unknown) =>
        e instanceof EngineError && e.code === "INVALID_ARGUMENT" && message.test(e.message),
      what,
    );
  }
});

test("fields OpenAI clients send by default and Mull does not use are accepted", () => {
  const parsed = parseCompletionRequest(
    {
      model: "m",
      messages,
      n: null,
      tools: [],
      logprobs: false,
      top_p: 1,
      seed: 3,
      user: "u",
      stop: null,
    },
    "chat",
  );
  assert.equal(parsed.solve.prompt, "What is\n7*6?");
});
