import assert from "node:assert/strict";
import { test } from "node:test";
import { BadResponseError } from "./http-json.ts";
import { parseCompletion, splitByWeight } from "./vllm-proposer.ts";

test("tells a finished step from a finished solution", () => {
  const result = parseCompletion(
    "u",
    {
      choices: [
        { index: 2, text: "x = 2\n\n", finish_reason: "stop", stop_reason: "\n\n" },
        { index: 0, text: "\\boxed{4}", finish_reason: "stop", stop_reason: null },
        { index: 1, text: "and so on", finish_reason: "length", stop_reason: null },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 9 },
    },
    3,
  );
  assert.deepEqual(
    result.completions.map((c) => [c.text, c.finished]),
    [
      ["\\boxed{4}", true],
      ["and so on", true],
      ["x = 2\n\n", false],
    ],
  );
  assert.equal(result.promptTokens, 10);
  assert.equal(
    result.completions.reduce((s, c) => s + c.completionTokens, 0),
    9,
  );
});

test("reads a stop token id as the end of the solution", () => {
  const result = parseCompletion(
    "u",
    { choices: [{ index: 0, text: "\\boxed{4}", finish_reason: "stop", stop_reason: 128009 }] },
    1,
    true,
  );
  assert.equal(result.completions[0]?.finished, true);
});

test("reads length on a step call as a truncated step, on a solution call as the end", () => {
  const choice = { index: 0, text: "and so", finish_reason: "length", stop_reason: null };
  const step = parseCompletion("u", { choices: [choice] }, 1, true).completions[0];
  assert.equal(step?.finished, false);
  assert.equal(step?.truncated, true);
  const whole = parseCompletion("u", { choices: [choice] }, 1, false).completions[0];
  assert.equal(whole?.finished, true);
  assert.equal(whole?.truncated, true);
});

test("rejects a response with the wrong number of choices", () => {
  assert.throws(() => parseCompletion("u", { choices: [] }, 2), /asked for 2 samples, got 0/);
});

test("splitByWeight sums exactly", () => {
  assert.deepEqual(splitByWeight(10, [1, 1, 1]), [4, 3, 3]);
  assert.deepEqual(splitByWeight(0, [5, 5]), [0, 0]);
  assert.deepEqual(splitByWeight(3, [0, 0]), [2, 1]);
});

test("malformed completions are bad responses", () => {
  const choice = (index: number) => ({
    index,
    text: "x",
    finish_reason: "stop",
    stop_reason: null,
  });
  const cases: [string, unknown, RegExp][] = [
    ["no choices", {}, /no choices array/],
    [
      "one choice too many",
      { choices: [choice(0), choice(1), choice(2)] },
      /asked for 2 samples, got 3/,
    ],
    ["a repeated index", { choices: [choice(0), choice(0)] }, /indexes are not 0\.\.1/],
    ["text missing", { choices: [choice(0), { index: 1 }] }, /no text/],
    [
      "NaN-like usage",
      { choices: [choice(0), choice(1)], usage: { completion_tokens: "NaN" } },
      /usage\.completion_tokens/,
    ],
  ];
  for (const [name, raw, pattern] of cases) {
    assert.throws(
      () => parseCompletion("u", raw, 2),
      (e: unknown) => e instanceof BadResponseError && pattern.test(e.message),
      name,
    );
  }
});
