import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { majorityVote, weightedVote } from "./vote.ts";

describe("weightedVote", () => {
  it("sums scores per answer", () => {
    const r = weightedVote([
      { answer: "1", weight: 0.9 },
      { answer: "2", weight: 0.5 },
      { answer: "2", weight: 0.5 },
      { answer: "1", weight: 0.2 },
    ]);
    assert.equal(r.answer, "1");
    assert.ok(Math.abs(r.weight - 1.1) < 1e-12);
    assert.equal(r.runnerUp, 1);
  });
  it("breaks ties by count, best score, then answer — not by order", () => {
    const a = [
      { answer: "b", weight: 0.5 },
      { answer: "a", weight: 0.5 },
    ];
    assert.equal(weightedVote(a).answer, "a");
    assert.equal(weightedVote([...a].reverse()).answer, "a");
    const byCount = weightedVote([
      { answer: "x", weight: 1 },
      { answer: "y", weight: 0.5 },
      { answer: "y", weight: 0.5 },
    ]);
    assert.equal(byCount.answer, "y");
  });
  it("ignores ballots without an answer unless nothing else was said", () => {
    assert.equal(
      weightedVote([
        { answer: "", weight: 0.99 },
        { answer: "3", weight: 0.1 },
      ]).answer,
      "3",
    );
    assert.equal(weightedVote([{ answer: "", weight: 0.99 }]).answer, "");
  });
});

describe("majorityVote", () => {
  it("counts answers", () => {
    const r = majorityVote(["4", "5", "4"]);
    assert.equal(r.answer, "4");
    assert.equal(r.weight, 2);
    assert.equal(r.runnerUp, 1);
  });
});
