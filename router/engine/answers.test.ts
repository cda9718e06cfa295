import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extractAnswer, normalizeAnswer } from "./answers.ts";
import { answerKey, sameAnswer } from "./equivalence.ts";

describe("extractAnswer", () => {
  it("takes the last box, with nested braces", () => {
    assert.equal(extractAnswer("first \\boxed{1} then \\boxed{\\frac{1}{2}}."), "\\frac{1}{2}");
    assert.equal(extractAnswer("\\boxed{\\left\\{1,2\\right\\}}"), "\\left\\{1,2\\right\\}");
    assert.equal(extractAnswer("so \\fbox{7}"), "7");
    assert.equal(extractAnswer("\\boxed 5$"), "5");
  });

  it("returns empty without a box, and skips a truncated last box", () => {
    assert.equal(extractAnswer("The answer is 5."), "");
    assert.equal(extractAnswer("\\boxed{3} and then \\boxed{\\frac{1}{"), "3");
  });

  it("uses a configured pattern's last match", () => {
    assert.equal(extractAnswer("Answer: 3\nAnswer: 4", /Answer:\s*(\S+)/), "4");
    assert.equal(extractAnswer("no answer", /Answer:\s*(\S+)/), "");
  });
});

describe("normalizeAnswer", () => {
  const same: [string, string][] = [
    ["\\dfrac{1}{2}", "1/2"],
    ["\\tfrac12", "\\frac{1}{2}"],
    ["$\\frac{x+1}{2}$", "(x+1)/2"],
    ["\\frac{-1}{2}", "-1/2"],
    ["\\left( 1, 2 \\right)", "(1,2)"],
    ["\\text{(A)}", "(A)"],
    ["5.0", "5"],
    ["2.50", "2.5"],
    ["+7", "7"],
    ["1,000,000", "1000000"],
    ["90^\\circ", "90"],
    ["90^{\\circ}", "90"],
    ["45°", "45"],
    ["50\\%", "50"],
    ["x = 3", "3"],
    [".5", "0.5"],
    ["\\boxed{4}", "4"],
    ["10.", "10"],
    ["\\sqrt2", "\\sqrt{2}"],
    ["\\mathrm{cm}", "cm"],
  ];
  for (const [a, b] of same) {
    it(`${a} ≡ ${b}`, () => assert.equal(normalizeAnswer(a), normalizeAnswer(b)));
  }

  it("keeps different answers apart", () => {
    assert.notEqual(normalizeAnswer("1,2"), normalizeAnswer("12"));
    assert.notEqual(normalizeAnswer("1/2"), normalizeAnswer("1/3"));
    assert.notEqual(normalizeAnswer("\\frac{1}{2}"), normalizeAnswer("\\frac{2}{1}"));
    assert.notEqual(normalizeAnswer("10"), normalizeAnswer("1"));
  });

  it("is idempotent", () => {
    for (const s of ["\\dfrac{3}{4}", "1,000.50", "x=\\frac{\\sqrt{3}}{2}", "$\\text{ yes }$"]) {
      const once = normalizeAnswer(s);
      assert.equal(normalizeAnswer(once), once);
    }
  });
});

describe("answerKey (symbolic equivalence)", () => {
  const same: [string, string][] = [
    ["\\$18.90", "18.90"],
    ["$18.90", "18.90"],
    ["\\$18.90", "18.9"],
    ["0.5", "\\frac{1}{2}"],
    ["\\dfrac12", "0.5"],
    ["1/2", "\\tfrac{1}{2}"],
    ["\\sqrt{27}", "3\\sqrt{3}"],
    ["\\frac{\\sqrt2}{2}", "\\frac{1}{\\sqrt{2}}"],
    ["x^2+1", "1+x^2"],
    ["\\frac{x+1}{2}", "(x+1)/2"],
    ["007", "7"],
    ["\\text{(A)}", "A"],
  ];
  for (const [a, b] of same) {
    it(`${a} ≡ ${b}`, () => {
      assert.equal(answerKey(a), answerKey(b));
      assert.ok(sameAnswer(a, b));
    });
  }

  it("keeps different answers apart", () => {
    const apart: [string, string][] = [
      ["0.3333", "\\frac13"],
      ["10000000000000001", "10000000000000000"],
      ["1/2", "1/3"],
      ["(1,2)", "12"],
      ["x+1", "x-1"],
      // Words are not products of letters: "dog" is not "god".
      ["dog", "god"],
      ["Monday", "dynamo"],
    ];
    for (const [a, b] of apart) assert.notEqual(answerKey(a), answerKey(b), `${a} vs ${b}`);
    assert.equal(answerKey(""), "");
    assert.equal(sameAnswer("", ""), false, "no answer never agrees with no answer");
  });

  it("leaves long answers textual instead of parsing them", () => {
    const long = `${"1+".repeat(60)}1`;
    assert.equal(answerKey(long), normalizeAnswer(long));
  });

  it("falls back to the text for what compute-engine cannot parse", () => {
    assert.equal(answerKey("\\frac{"), normalizeAnswer("\\frac{"));
  });
});
