import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  chatText,
  compileFormat,
  MULL_FORMAT,
  QWEN_CHAT_FORMAT,
  resolveFormats,
  SHEPHERD_FORMAT,
  writePrompt,
  writeVerifierInput,
} from "./format.ts";
import { parsePrompt, parseVerifierInput } from "./prompt-parse.ts";

const mull = compileFormat(MULL_FORMAT);
const qwen = compileFormat(QWEN_CHAT_FORMAT);
const shepherd = compileFormat(SHEPHERD_FORMAT);
const problem = "Problem 5: the blank line is not in here.";

describe("sim formats", () => {
  it("writes its own prompts (golden strings)", () => {
    assert.equal(
      writePrompt(mull, problem, ["Step 1: a = 1"]),
      "Solve the following math problem step by step. Separate steps with a blank line and put " +
        `the final answer in \\boxed{}.\n\nProblem: ${problem}\n\nSolution:\nStep 1: a = 1\n\n`,
    );
    assert.equal(
      writePrompt(qwen, problem, ["Step 1: a = 1"], ["Step 1: \\boxed{4}."]),
      "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
        "<|im_start|>user\nHere are earlier attempts at a problem; they may be wrong.\n\n" +
        "--- attempt 1 ---\nStep 1: \\boxed{4}.\n\n" +
        `Solve the problem again, fixing any mistakes: ${problem}<|im_end|>\n` +
        "<|im_start|>assistant\nStep 1: a = 1\n",
    );
    assert.equal(
      writeVerifierInput(qwen, problem, ["a", "b"]),
      "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
        `<|im_start|>user\n${problem}<|im_end|>\n<|im_start|>assistant\na<extra_0>b<extra_0><|im_end|>\n`,
    );
  });

  for (const format of [mull, qwen, shepherd]) {
    it(`reads back what a client in the ${format.data.name} format writes`, () => {
      const attempts = ["Step 1: a = 1\nStep 2: \\boxed{4}.", "Step 1: \\boxed{5}."];
      const solve = parsePrompt(writePrompt(format, problem, ["Step 1: a = 1", "Step 2: b = 2"]), [
        format,
      ]);
      assert.equal(solve.kind, "solve");
      assert.equal(solve.problem, problem);
      assert.deepEqual(solve.steps, ["Step 1: a = 1", "Step 2: b = 2"]);
      assert.equal(solve.endsOnBoundary, true);
      const revise = parsePrompt(writePrompt(format, problem, ["Step 1: c = 3"], attempts), [
        format,
      ]);
      assert.equal(revise.kind, "revise");
      assert.equal(revise.problem, problem);
      assert.deepEqual(revise.attempts, attempts);
      assert.deepEqual(revise.steps, ["Step 1: c = 3"]);
      const steps = ["Step 1: a = 1", "Step 2: \\boxed{2}."];
      const read = parseVerifierInput(writeVerifierInput(format, problem, steps), [format]);
      assert.equal(read.problem, problem);
      assert.deepEqual(read.steps, steps);
    });
  }

  it("reads a prompt in another layout as one bare question, with no partial solution", () => {
    const foreign = writePrompt(qwen, problem, ["Step 1: a = 1"]);
    const parsed = parsePrompt(foreign, [mull]);
    assert.equal(parsed.kind, "bare");
    assert.equal(parsed.problem, foreign);
    assert.deepEqual(parsed.steps, []);
    // With both formats it understands either.
    assert.equal(parsePrompt(foreign, [mull, qwen]).problem, problem);
  });

  it("gives the PRM a row per step tag even in an input it cannot read", () => {
    const foreign = `Question: ${problem}\nStep 1<extra_0>Step 2<extra_0>`;
    const read = parseVerifierInput(foreign, [qwen]);
    assert.equal(read.format, undefined);
    assert.equal(read.steps.length, 2);
  });

  it("renders chat messages as vLLM does, continuing the final message", () => {
    const messages = [
      { role: "system", content: "S" },
      { role: "user", content: "Q" },
      { role: "assistant", content: "Step 1\n" },
    ];
    assert.equal(
      chatText(qwen, messages, false, true),
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nStep 1\n",
    );
    assert.equal(
      chatText(qwen, messages.slice(0, 2), true, false),
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
    );
  });

  it("rejects a format whose templates lack their placeholders, naming the field", () => {
    assert.throws(
      () => compileFormat({ ...MULL_FORMAT, prompt: { ...MULL_FORMAT.prompt, solve: "no slot" } }),
      /solve must contain \{problem\}/,
    );
  });
});

describe("sim formats from data", () => {
  it("takes built-in names and files of format data, and names a bad field", () => {
    const file = { ...SHEPHERD_FORMAT, name: "mine" };
    const formats = resolveFormats(["qwen-chat", "mine.yaml"], () => file);
    assert.deepEqual(
      formats.map((f) => f.data.name),
      ["qwen-chat", "mine"],
    );
    assert.throws(
      () => resolveFormats(["bad.yaml"], () => ({ name: "bad", prompt: {} }) as never),
      /format bad: prompt\.solve must be a string/,
    );
  });
});
