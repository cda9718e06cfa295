import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { PolicySnapshotSchema, PromptFormatSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { ChatTemplate } from "./chat-template.ts";
import { formatProblems, policyFormats } from "./index.ts";
import { chatPrompt, completionPrompt, promptProblems, proposerFormat } from "./prompt.ts";

const template = (name: string) =>
  readFileSync(new URL(`testdata/${name}.jinja`, import.meta.url), "utf8");
const LLAMA = template("llama-3.2-instruct");
const QWEN = template("qwen2.5-math-instruct");

const prompt = (init: MessageInitShape<typeof PromptFormatSchema>) =>
  create(PromptFormatSchema, init);
const policy = (init: MessageInitShape<typeof PolicySnapshotSchema>) =>
  create(PolicySnapshotSchema, init);
const fresh = { problem: "What is 1+1?", attempts: [], steps: [] };
const partial = { problem: "What is 1+1?", attempts: [], steps: ["Step 1: 1+1 = 2"] };

describe("proposer prompt formats (golden strings)", () => {
  it("defaults to Mull's built-in math prompt, exactly as before formats existed", () => {
    const f = proposerFormat(undefined);
    assert.equal(
      completionPrompt(f, partial),
      "Solve the following math problem step by step. Separate steps with a blank line and put " +
        "the final answer in \\boxed{}.\n\nProblem: What is 1+1?\n\nSolution:\nStep 1: 1+1 = 2\n\n",
    );
    assert.equal(
      completionPrompt(f, { ...fresh, attempts: ["A", "B"] }),
      "Solve the following math problem step by step. Separate steps with a blank line and put " +
        "the final answer in \\boxed{}. Earlier attempts may contain mistakes; find them and write " +
        "a corrected solution.\n\nProblem: What is 1+1?\n\nAttempt 1:\nA\n\nAttempt 2:\nB\n\n" +
        "Revised solution:\n",
    );
    assert.deepEqual([f.mode, f.topP, f.topK, f.temperature], ["completion", 1, -1, undefined]);
  });

  it("lays out a revision freely: earlier attempts after the problem or before it", () => {
    const f = proposerFormat(
      prompt({
        system: "Be brief.",
        revise: "{attempts}---\nFix them: {problem}\n",
        attempt: "({index}) {attempt}\n",
        stepDelimiter: "\n",
      }),
    );
    assert.equal(
      completionPrompt(f, { ...fresh, attempts: ["x", "y"], steps: ["s1"] }),
      "Be brief.\n\n(1) x\n(2) y\n---\nFix them: What is 1+1?\ns1\n",
    );
  });

  it("renders Qwen2.5-Math-Instruct's chat template with @huggingface/jinja, continuing the partial answer", () => {
    const f = proposerFormat(prompt({ solve: "{problem}", chatTemplate: QWEN }));
    assert.equal(
      completionPrompt(f, fresh),
      "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
        "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n",
    );
    assert.equal(
      completionPrompt(f, partial),
      "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
        "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\nStep 1: 1+1 = 2\n\n",
    );
  });

  it("keeps the step delimiter after Llama 3.x's template trims the final message", () => {
    const f = proposerFormat(
      prompt({ system: "Solve it.", solve: "{problem}", chatTemplate: LLAMA }),
    );
    // The template dates its system turn with strftime_now, as transformers renders it for vLLM.
    const now = new Date();
    const month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ")[now.getMonth()];
    const today = `${String(now.getDate()).padStart(2, "0")} ${month} ${now.getFullYear()}`;
    const head =
      "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n" +
      `Today Date: ${today}\n\nSolve it.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n` +
      "What is 1+1?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    // BOS is left to vLLM's tokenizer, which adds it to every completion prompt.
    assert.equal(completionPrompt(f, fresh), head);
    assert.equal(completionPrompt(f, partial), `${head}Step 1: 1+1 = 2\n\n`);
  });

  it("chat mode sends messages and continues the final assistant message", () => {
    const f = proposerFormat(prompt({ format: "chat", system: "S", solve: "{problem}" }));
    assert.deepEqual(chatPrompt(f, fresh), {
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "What is 1+1?" },
      ],
      add_generation_prompt: true,
      continue_final_message: false,
    });
    assert.deepEqual(chatPrompt(f, partial), {
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "What is 1+1?" },
        { role: "assistant", content: "Step 1: 1+1 = 2\n\n" },
      ],
      add_generation_prompt: false,
      continue_final_message: true,
    });
  });

  it("leaves a problem's own braces and dollar signs alone", () => {
    const f = proposerFormat(prompt({ solve: "Q: {problem}\nA:" }));
    assert.equal(
      completionPrompt(f, { ...fresh, problem: "Is {attempts} $x$?" }),
      "Q: Is {attempts} $x$?\nA:",
    );
  });
});

describe("verifier formats (golden strings)", () => {
  const steps = ["Step 1: a", "Step 2: \\boxed{2}"];
  const input = (init: MessageInitShape<typeof PolicySnapshotSchema>) =>
    policyFormats(policy(init)).verifier;

  it("without a format: the plain input with stepSeparator, as before formats existed", () => {
    const v = input({ stepSeparator: "<extra_0>" });
    assert.equal(v.input("Q?", steps), "Q?\n\nStep 1: a<extra_0>Step 2: \\boxed{2}<extra_0>");
    assert.equal(v.positiveIndex, 1);
  });

  it("qwen2.5-math-prm: its chat template, system message and <extra_0> after each step", () => {
    const v = input({ verifierFormat: { format: "qwen2.5-math-prm" } });
    assert.equal(
      v.input("Q?", steps),
      "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
        "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n" +
        "Step 1: a<extra_0>Step 2: \\boxed{2}<extra_0><|im_end|>\n",
    );
    assert.equal(v.positiveIndex, 1);
  });

  it("math-shepherd: the ки tag, and P(correct) first in each row", () => {
    const v = input({ verifierFormat: { format: "math-shepherd" } });
    assert.equal(v.input("Q?", steps), "Q? Step 1: a ки\nStep 2: \\boxed{2} ки");
    assert.equal(v.positiveIndex, 0);
  });

  it("custom: template, step tag and positive index as data", () => {
    const v = input({
      verifierFormat: {
        format: "custom",
        template: "<q>{problem}</q>{steps}",
        stepTag: "<s>",
        positiveIndex: 0,
      },
    });
    assert.equal(v.input("Q?", steps), "<q>Q?</q>Step 1: a<s>Step 2: \\boxed{2}<s>");
    assert.equal(v.positiveIndex, 0);
  });
});

describe("format validation names the field", () => {
  const cases: [string, MessageInitShape<typeof PolicySnapshotSchema>, RegExp][] = [
    [
      "a solve template without {problem}",
      { prompt: { solve: "Solve it." } },
      /prompt\.solve must contain \{problem\}/,
    ],
    [
      "a revise template without {attempts}",
      { prompt: { revise: "{problem}" } },
      /prompt\.revise must contain \{attempts\}/,
    ],
    [
      "an attempt template without {attempt}",
      { prompt: { attempt: "#{index}" } },
      /prompt\.attempt must contain \{attempt\}/,
    ],
    [
      "an unknown prompt format",
      { prompt: { format: "raw" } },
      /prompt\.format: unknown format "raw"/,
    ],
    ["a top_p of 0", { prompt: { topP: 0 } }, /prompt\.topP must be in \(0, 1\]/],
    [
      "a chat template that does not parse",
      { prompt: { chatTemplate: "{% if %}" } },
      /prompt\.chatTemplate:/,
    ],
    [
      "an unknown verifier format",
      { verifierFormat: { format: "prm-9000" } },
      /verifierFormat\.format: unknown format "prm-9000" \(known: qwen2\.5-math-prm, math-shepherd, custom\)/,
    ],
    [
      "a custom PRM with no step tag",
      { verifierFormat: { format: "custom", template: "{problem}{steps}" } },
      /verifierFormat\.stepTag: a custom format needs a step tag/,
    ],
    [
      "a custom template without {steps}",
      { verifierFormat: { format: "custom", template: "{problem}", stepTag: "<t>" } },
      /verifierFormat\.template must contain \{steps\}/,
    ],
    [
      "a step tag on a built-in format",
      { verifierFormat: { format: "math-shepherd", stepTag: "x" } },
      /apply only to format custom/,
    ],
  ];
  for (const [name, init, message] of cases) {
    it(`rejects ${name}`, () => {
      const problems = formatProblems(policy(init));
      assert.ok(
        problems.some((p) => message.test(p)),
        problems.join("; "),
      );
    });
  }

  it("accepts the defaults and real templates", () => {
    assert.deepEqual(formatProblems(policy({})), []);
    assert.deepEqual(promptProblems(prompt({ chatTemplate: LLAMA, solve: "{problem}" })), []);
    assert.deepEqual(promptProblems(prompt({ chatTemplate: QWEN, topK: 20, topP: 0.8 })), []);
  });
});

describe("ChatTemplate", () => {
  it("refuses to continue a message the template drops", () => {
    const t = new ChatTemplate(
      "{% for m in messages %}{% if m.role == 'user' %}{{ m.content }}{% endif %}{% endfor %}",
    );
    assert.throws(
      () =>
        t.render(
          [
            { role: "user", content: "Q" },
            { role: "assistant", content: "A" },
          ],
          true,
        ),
      /drops the final assistant message/,
    );
  });
});
