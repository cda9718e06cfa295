import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { binForScore, checkHint } from "./difficulty.ts";
import { EngineError } from "./errors.ts";

describe("binForScore", () => {
  const thresholds = [0.2, 0.4, 0.6, 0.8];
  it("puts high probe scores in bin 1 (easiest) and low ones in the last bin", () => {
    assert.equal(binForScore(0.95, thresholds, 5), 1);
    assert.equal(binForScore(0.7, thresholds, 5), 2);
    assert.equal(binForScore(0.5, thresholds, 5), 3);
    assert.equal(binForScore(0.3, thresholds, 5), 4);
    assert.equal(binForScore(0.1, thresholds, 5), 5);
  });
  it("counts a threshold equal to the score as passed", () => {
    assert.equal(binForScore(0.4, thresholds, 5), 3);
    assert.equal(binForScore(0.8, thresholds, 5), 1);
  });
  it("stays within 1..bins for a malformed snapshot", () => {
    assert.equal(binForScore(1, [0.1, 0.2, 0.3], 2), 1);
    assert.equal(binForScore(0.5, [], 3), 3);
  });
});

describe("checkHint", () => {
  it("accepts 1..bins and rejects the rest with INVALID_ARGUMENT", () => {
    assert.equal(checkHint(3, 5), 3);
    for (const bad of [0, 6]) {
      assert.throws(
        () => checkHint(bad, 5),
        (e) =>
          e instanceof EngineError &&
          e.code === "INVALID_ARGUMENT" &&
          /difficulty_hint.*1 and 5/.test(e.message),
      );
    }
  });
});
