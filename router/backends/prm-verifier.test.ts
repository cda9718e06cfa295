import assert from "node:assert/strict";
import { test } from "node:test";
import { BadResponseError } from "./http-json.ts";
import { parsePooling } from "./prm-verifier.ts";

test("takes the positive column of each step row, in input order", () => {
  const result = parsePooling(
    "u",
    {
      data: [
        { index: 1, data: [[0.9, 0.1]] },
        {
          index: 0,
          data: [
            [0.2, 0.8],
            [0.3, 0.7],
          ],
        },
      ],
      usage: { prompt_tokens: 42 },
    },
    [2, 1],
  );
  assert.deepEqual(result.stepScores, [[0.8, 0.7], [0.1]]);
  assert.equal(result.tokens, 42);
});

test("refuses rows that do not match the steps", () => {
  assert.throws(
    () => parsePooling("u", { data: [{ index: 0, data: [[0.5, 0.5]] }] }, [3]),
    /1 rows for 3 steps/,
  );
});

test("malformed pooling answers are bad responses", () => {
  const row = (data: unknown, index = 0) => ({ data: [{ index, data }] });
  const cases: [string, unknown, RegExp][] = [
    ["no data", {}, /no data array/],
    [
      "too many results",
      {
        data: [
          { index: 0, data: [[0, 1]] },
          { index: 1, data: [[0, 1]] },
        ],
      },
      /sent 1 inputs, got 2/,
    ],
    ["a score of 1e300", row([[0, 1e300]]), /outside \[0, 1\]/],
    ["a negative score", row([[1.5, -0.5]]), /outside \[0, 1\]/],
    ["a string score", row([["0.1", "0.9"]]), /not rows of label probabilities/],
    ["a duplicated index", row([[0, 1]], 3), /indexes/],
    [
      "negative usage",
      { ...row([[0.2, 0.8]]), usage: { prompt_tokens: -4 } },
      /usage\.prompt_tokens/,
    ],
  ];
  for (const [name, raw, pattern] of cases) {
    assert.throws(
      () => parsePooling("u", raw, [1]),
      (e: unknown) =>
        e instanceof BadResponseError && e.kind === "bad_response" && pattern.test(e.message),
      name,
    );
  }
});
