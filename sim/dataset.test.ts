import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeAnswer, makeDataset } from "./dataset.ts";
import { DEFAULT_MODEL } from "./model-config.ts";
import { problemFrom } from "./problem.ts";

describe("makeDataset", () => {
  it("makes numbered problems of mixed difficulty whose truth matches the fleet's model", () => {
    const items = makeDataset({ count: 100, seed: 3 });
    assert.equal(items.length, 100);
    assert.equal(new Set(items.map((i) => i.problem)).size, 100);
    assert.match(items[16]?.problem ?? "", /^Problem 17: /);
    for (const item of items) {
      const p = problemFrom(item.problem, DEFAULT_MODEL);
      assert.equal(item.answer, p.answer);
      assert.equal(item.difficulty, p.difficulty);
    }
    const easy = items.filter((i) => i.difficulty < 0.3).length;
    const hard = items.filter((i) => i.difficulty >= 0.7).length;
    assert.ok(easy > 10 && hard > 10, `easy ${easy}, hard ${hard}`);
  });

  it("is deterministic per seed", () => {
    assert.deepEqual(makeDataset({ count: 5, seed: 1 }), makeDataset({ count: 5, seed: 1 }));
    assert.notDeepEqual(makeDataset({ count: 5, seed: 1 }), makeDataset({ count: 5, seed: 2 }));
  });

  it("can keep to a difficulty range", () => {
    const items = makeDataset({ count: 20, seed: 1, minDifficulty: 0.8 });
    assert.ok(items.every((i) => i.difficulty >= 0.8));
  });
});

describe("judgeAnswer", () => {
  it("compares normalised answers, from a bare answer or a whole solution", () => {
    assert.ok(judgeAnswer("417", "417"));
    assert.ok(judgeAnswer("417", " 417 "));
    assert.ok(judgeAnswer("417", "Step 1: x = 3\n\nStep 2: So the answer is \\boxed{417}."));
    assert.ok(!judgeAnswer("417", "\\boxed{418}"));
    assert.ok(!judgeAnswer("417", ""));
  });
});
