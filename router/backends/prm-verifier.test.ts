import assert from "node:assert/strict";
import { test } from "node:test";
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
