// The operator and the router agree on formats without sharing code: the CRD's format names are
// the router's registry, and what the operator writes into the router's ConfigMap loads in the
// router with the same formats.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { desiredRouterConfig, routerConfigKey } from "../controller/desired/router-config.ts";
import { promptFormatNames, verifierFormatNames } from "../controller/policy/names.ts";
import { examplePolicy } from "../controller/testing/sample.ts";
import { policyFormats, VERIFIER_FORMAT_NAMES } from "../router/formats/index.ts";
import { PROMPT_MODES } from "../router/formats/prompt.ts";
import { parseRouterConfig } from "../router/policy/router-config.ts";

describe("formats: operator and router", () => {
  it("name the same formats", () => {
    assert.deepEqual([...verifierFormatNames], [...VERIFIER_FORMAT_NAMES]);
    assert.deepEqual([...promptFormatNames], [...PROMPT_MODES]);
  });

  it("carry spec.proposer.prompt and spec.verifier.format into the router's config", () => {
    const policy = examplePolicy((s) => {
      s.proposer.prompt = {
        format: "chat",
        system: "Think.",
        solve: "{problem}",
        stepDelimiter: "\n",
        temperature: 0.6,
        topP: 0.9,
        topK: 20,
      };
      Object.assign(s.verifier, {
        format: "custom",
        template: "Q: {problem}\n{steps}",
        stepTag: " ки",
        positiveIndex: 0,
      });
    });
    const text = desiredRouterConfig(policy).data?.[routerConfigKey] ?? "";
    assert.match(text, /verifierFormat:/);
    const [snapshot] = parseRouterConfig(text);
    assert.ok(snapshot);
    const { proposer, verifier } = policyFormats(snapshot);
    assert.deepEqual(
      [proposer.mode, proposer.system, proposer.stepDelimiter, proposer.topP, proposer.topK],
      ["chat", "Think.", "\n", 0.9, 20],
    );
    assert.equal(snapshot.prompt?.temperature, 0.6);
    assert.equal(verifier.input("2+2?", ["a", "b"]), "Q: 2+2?\na киb ки");
    assert.equal(verifier.positiveIndex, 0);
  });

  it("leave both out when the policy does not set them: the router's defaults apply", () => {
    const text = desiredRouterConfig(examplePolicy()).data?.[routerConfigKey] ?? "";
    assert.doesNotMatch(text, /prompt:|verifierFormat:/);
    const [snapshot] = parseRouterConfig(text);
    assert.ok(snapshot);
    assert.equal(policyFormats(snapshot).verifier.name, "plain");
  });
});
