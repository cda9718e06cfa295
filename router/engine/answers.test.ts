import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extractAnswer, normalizeAnswer } from "./answers.ts";

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
