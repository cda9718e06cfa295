import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { examplePolicy } from "../testing/sample.ts";
import { chatTemplateText, pythonUnicodeEscape, routerChatTemplateRef } from "./format-args.ts";
import { desiredDeployment, vllmArgs } from "./pool.ts";
import { desiredState } from "./state.ts";

const pooler = (args: string[]) => args.filter((a) => a.startsWith("--pooler-config"));

describe("vllm serve flags from the policy's formats", () => {
  it("passes Math-Shepherd's STEP pooler config: the ки tag, + and - in that order", () => {
    const { spec } = examplePolicy((s) => {
      s.verifier.format = "math-shepherd";
    });
    assert.deepEqual(pooler(vllmArgs(spec.verifier, "verifier")), [
      '--pooler-config={"pooling_type":"STEP","step_tag_id":12902,"returned_token_ids":[648,387]}',
    ]);
  });

  it("passes a custom PRM's token ids, and nothing for Qwen2.5-Math-PRM or without ids", () => {
    const custom = examplePolicy((s) => {
      Object.assign(s.verifier, {
        format: "custom",
        template: "{problem}{steps}",
        stepTag: "<s>",
        stepTagId: 7,
        returnedTokenIds: [3, 4],
      });
    });
    assert.deepEqual(pooler(vllmArgs(custom.spec.verifier, "verifier")), [
      '--pooler-config={"pooling_type":"STEP","step_tag_id":7,"returned_token_ids":[3,4]}',
    ]);
    for (const edit of [
      (s: typeof custom.spec) => {
        s.verifier.format = "qwen2.5-math-prm";
      },
      (s: typeof custom.spec) => {
        Object.assign(s.verifier, {
          format: "custom",
          template: "{problem}{steps}",
          stepTag: "<s>",
        });
      },
    ]) {
      assert.deepEqual(pooler(vllmArgs(examplePolicy(edit).spec.verifier, "verifier")), []);
    }
  });

  it("lets the user's own --pooler-config win", () => {
    const { spec } = examplePolicy((s) => {
      s.verifier.format = "math-shepherd";
      s.verifier.args = ['--pooler-config={"pooling_type":"ALL"}'];
    });
    assert.deepEqual(pooler(vllmArgs(spec.verifier, "verifier")), [
      '--pooler-config={"pooling_type":"ALL"}',
    ]);
  });

  it("hands a chat-mode proposer its chat template, escaped for vLLM's unicode_escape decode", () => {
    const { spec } = examplePolicy((s) => {
      s.proposer.prompt = { format: "chat", chatTemplate: "{{ '\\\\boxed' }}\né" };
    });
    assert.ok(
      vllmArgs(spec.proposer, "proposer").includes("--chat-template={{ '\\\\\\\\boxed' }}\\n\\xe9"),
    );
    // Completion mode renders the template in the router: vLLM needs nothing.
    const completion = examplePolicy((s) => {
      s.proposer.prompt = { chatTemplate: "{{ x }}" };
    });
    assert.ok(
      !vllmArgs(completion.spec.proposer, "proposer").some((a) => a.startsWith("--chat-template")),
    );
  });

  it("escapes like Python's unicode_escape codec", () => {
    assert.equal(
      pythonUnicodeEscape("a\\b\n\t\u0001é€😀"),
      "a\\\\b\\n\\t\\x01\\xe9\\u20ac\\U0001f600",
    );
  });
});

describe("a chat template kept in a ConfigMap", () => {
  const ref = { name: "llama-template", key: "chat_template.jinja" };

  it("completion mode: the operator reads it and the router's config carries the text", () => {
    const policy = examplePolicy((s) => {
      s.proposer.prompt = { solve: "{problem}", chatTemplateConfigMap: ref };
    });
    assert.deepEqual(routerChatTemplateRef(policy), ref);
    const text = chatTemplateText(policy, { "chat_template.jinja": "{{ messages }}" });
    const { snapshot } = desiredState(policy, { chatTemplate: text });
    assert.equal(snapshot.prompt?.chatTemplate, "{{ messages }}");
    assert.equal(snapshot.prompt?.solve, "{problem}");
  });

  it("names the field when the ConfigMap or its key is missing", () => {
    const policy = examplePolicy((s) => {
      s.proposer.prompt = { chatTemplateConfigMap: ref };
    });
    assert.throws(
      () => chatTemplateText(policy, undefined),
      /spec\.proposer\.prompt\.chatTemplateConfigMap: ConfigMap ns1\/llama-template not found/,
    );
    assert.throws(
      () => chatTemplateText(policy, { other: "x" }),
      /has no key "chat_template\.jinja"/,
    );
  });

  it("chat mode: the proposer's pod mounts it and vLLM reads it as --chat-template", () => {
    const policy = examplePolicy((s) => {
      s.proposer.prompt = { format: "chat", chatTemplateConfigMap: ref };
    });
    assert.equal(routerChatTemplateRef(policy), undefined);
    const d = desiredDeployment({ policy, bin: 1, role: "proposer", replicas: 1 });
    const pod = d.spec?.template.spec;
    assert.deepEqual(pod?.volumes?.find((v) => v.name === "chat-template")?.configMap, {
      name: "llama-template",
      items: [{ key: "chat_template.jinja", path: "template.jinja" }],
    });
    const container = pod?.containers[0];
    assert.ok(container?.volumeMounts?.some((m) => m.mountPath === "/etc/mull/chat-template"));
    assert.ok(container?.args?.includes("--chat-template=/etc/mull/chat-template/template.jinja"));
    const verifier = desiredDeployment({ policy, bin: 1, role: "verifier", replicas: 1 });
    assert.ok(!verifier.spec?.template.spec?.volumes?.some((v) => v.name === "chat-template"));
  });
});
