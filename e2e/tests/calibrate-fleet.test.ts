// `mull calibrate --policy ns/name`: the policy is read from the API server with the kubeconfig,
// its completion-mode chat template from its ConfigMap, and the calibration asks the replicas it
// is given (here a sim fleet on loopback, as a port-forward would give it).
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { resolveFleet } from "../../calibrate/fleet-source.ts";
import { matchingPolicyFormats } from "../../calibrate/sim-formats.ts";
import { completionPrompt } from "../../router/formats/prompt.ts";
import { startFleet } from "../../sim/fleet.ts";
import { compileFormat, QWEN_CHAT_FORMAT } from "../../sim/format.ts";
import { cluster, kubectl, namespace } from "../fixture.ts";
import { applyDoc, installCrd, policyDoc } from "./operator-harness.ts";

test("a policy in the cluster gives calibration its formats and model names", async (t) => {
  const c = await cluster();
  await installCrd();
  const ns = await namespace(t);
  const sim = await startFleet({
    bins: 1,
    formats: [compileFormat(QWEN_CHAT_FORMAT)],
    proposerModel: "qwen-1b",
    verifierModel: "qwen-prm",
  });
  t.after(() => sim.stop());
  const formats = matchingPolicyFormats(QWEN_CHAT_FORMAT, "completion");
  const { chatTemplate, format, ...prompt } = formats.prompt ?? {};
  assert.ok(chatTemplate);
  await kubectl(["-n", ns, "apply", "-f", "-"], {
    input: stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "qwen-template" },
      data: { "template.jinja": chatTemplate },
    }),
  });
  await applyDoc(
    ns,
    policyDoc("math", undefined, (doc) => {
      doc.spec.proposer.model = "Qwen/weights";
      doc.spec.proposer.servedModelName = "qwen-1b";
      doc.spec.proposer.prompt = {
        format,
        ...prompt,
        chatTemplateConfigMap: { name: "qwen-template", key: "template.jinja" },
      };
      doc.spec.verifier.model = "qwen-prm";
      doc.spec.verifier.format = "custom";
      doc.spec.verifier.template = formats.verifierFormat?.template;
      doc.spec.verifier.stepTag = formats.verifierFormat?.stepTag;
    }),
  );
  const bin = sim.bins[0];
  assert.ok(bin);

  const fleet = await resolveFleet({
    policy: `${ns}/math`,
    kubeConfig: c.kubeConfig,
    proposer: bin.proposer.endpoints,
    verifier: bin.verifier.endpoints,
  });
  assert.equal(fleet.source, `${ns}/math`);
  assert.equal(fleet.proposer.model, "qwen-1b");
  assert.equal(fleet.verifier.model, "qwen-prm");
  assert.equal(fleet.policy.bins, 3);
  assert.deepEqual(fleet.policy.thresholds, [0.35, 0.7]);
  // The template came from the ConfigMap: prompts are rendered as the router renders them.
  const rendered = completionPrompt(fleet.formats.proposer, {
    problem: "What is 2 + 2?",
    attempts: [],
    steps: [],
  });
  assert.match(rendered, /<\|im_start\|>user\n[\s\S]*What is 2 \+ 2\?/);

  // Without URLs, the pool Services do not resolve from outside the cluster: the error says
  // what to port-forward.
  await assert.rejects(
    resolveFleet({ policy: `${ns}/math`, kubeConfig: c.kubeConfig }),
    /port-forward svc\/math-b1-(proposer|verifier)/,
  );
  await assert.rejects(
    resolveFleet({ policy: `${ns}/nope`, kubeConfig: c.kubeConfig }),
    new RegExp(`TestTimePolicy ${ns}/nope not found`),
  );
});
