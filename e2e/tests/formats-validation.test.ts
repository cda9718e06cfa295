// The API server rejects bad prompt and PRM formats (spec.proposer.prompt, spec.verifier.format)
// with a message naming the field, and accepts the documented examples.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { stringify } from "yaml";
import { kubectl, namespace } from "../fixture.ts";
import { installCrd, type PolicyDoc, policyDoc } from "./operator-harness.ts";

const llama = readFileSync(
  new URL("../../router/formats/testdata/llama-3.2-instruct.jinja", import.meta.url),
  "utf8",
);

const bad: Array<[string, (d: PolicyDoc) => void, RegExp]> = [
  [
    "a solve template without {problem}",
    (d) => {
      d.spec.proposer.prompt = { solve: "Solve it." };
    },
    /proposer\.prompt\.solve must contain \{problem\}/,
  ],
  [
    "a revise template without {attempts}",
    (d) => {
      d.spec.proposer.prompt = { revise: "Again: {problem}" };
    },
    /proposer\.prompt\.revise must contain \{problem\} and \{attempts\}/,
  ],
  [
    "an unknown prompt format",
    (d) => {
      d.spec.proposer.prompt = { format: "raw" };
    },
    /spec\.proposer\.prompt\.format: Unsupported value: "raw"/,
  ],
  [
    "an unknown verifier format",
    (d) => {
      d.spec.verifier.format = "prm-9000";
    },
    /spec\.verifier\.format: Unsupported value: "prm-9000"/,
  ],
  [
    "a custom PRM with no step tag",
    (d) => {
      Object.assign(d.spec.verifier, { format: "custom", template: "{problem}\n{steps}" });
    },
    /verifier\.stepTag is required when verifier\.format is custom/,
  ],
  [
    "a custom template without {steps}",
    (d) => {
      Object.assign(d.spec.verifier, { format: "custom", template: "{problem}", stepTag: "<t>" });
    },
    /verifier\.template must contain \{problem\} and \{steps\}/,
  ],
  [
    "a step tag on a built-in format",
    (d) => {
      Object.assign(d.spec.verifier, { format: "qwen2.5-math-prm", stepTag: "<t>" });
    },
    /apply only to verifier\.format custom/,
  ],
  [
    "an inline chat template and one from a ConfigMap",
    (d) => {
      d.spec.proposer.prompt = {
        chatTemplate: "{{ messages }}",
        chatTemplateConfigMap: { name: "t", key: "k" },
      };
    },
    /give chatTemplate or chatTemplateConfigMap, not both/,
  ],
  [
    "a top_p of 0",
    (d) => {
      d.spec.proposer.prompt = { topP: 0 };
    },
    /proposer\.prompt\.topP must be in \(0, 1\]/,
  ],
];

test("formats: the API server rejects bad prompt and PRM formats, naming the field", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const failures: string[] = [];
  for (const [what, edit, message] of bad) {
    const r = await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
      input: stringify(policyDoc("bad", undefined, edit)),
      check: false,
    });
    if (r.code === 0) failures.push(`${what}: accepted`);
    else if (!message.test(r.stderr)) failures.push(`${what}: message ${JSON.stringify(r.stderr)}`);
  }
  assert.deepEqual(failures, []);
});

test("formats: the API server accepts the documented Qwen2.5-Math and Llama-3.x formats", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const examples: Array<(d: PolicyDoc) => void> = [
    (d) => {
      d.spec.proposer.prompt = {
        format: "chat",
        solve: "{problem}",
        temperature: 0.7,
        topP: 0.8,
        topK: 20,
      };
      d.spec.verifier.format = "qwen2.5-math-prm";
    },
    (d) => {
      d.spec.proposer.prompt = { solve: "{problem}", system: "Solve it.", chatTemplate: llama };
      Object.assign(d.spec.verifier, {
        format: "custom",
        template: "{problem} {steps}",
        stepTag: " ки",
        positiveIndex: 0,
        stepTagId: 12902,
        returnedTokenIds: [648, 387],
      });
    },
  ];
  for (const edit of examples) {
    await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
      input: stringify(policyDoc("good", undefined, edit)),
    });
  }
});
