// Resolving a calibration's fleet from bare URLs and from a policy file, against a real
// simulated fleet on loopback.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Aggregation } from "../proto/gen/mull/v1/router_pb.ts";
import { DEFAULT_PROMPT } from "../router/formats/prompt.ts";
import { type Fleet as SimFleet, startFleet } from "../sim/fleet.ts";
import { resolveFleet } from "./fleet-source.ts";

const policyYaml = (body: string) => `apiVersion: mull.dev/v1alpha1
kind: TestTimePolicy
metadata: {name: math, namespace: team}
spec:
${body}
  budget: {gpus: 1}
  bins: [{bin: 1, strategies: [{strategy: bestOfN, generations: 8}]}, {bin: 2, strategies: [{strategy: beam, generations: 16, beamWidth: 4}]}]
`;

describe("resolveFleet", () => {
  let sim: SimFleet;
  let proposer: string;
  let verifier: string;
  const dir = mkdtempSync(join(tmpdir(), "mull-fleet-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    sim = await startFleet({ bins: 1, proposerModel: "org/policy-1b", verifierModel: "org/prm" });
    proposer = sim.bins[0]?.proposer.endpoints[0] as string;
    verifier = sim.bins[0]?.verifier.endpoints[0] as string;
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes the model names from bare URLs' /v1/models, with the router's default formats", async () => {
    const fleet = await resolveFleet({ proposer: [`${proposer}/`], verifier: [verifier] });
    assert.equal(fleet.source, "URLs");
    assert.deepEqual(fleet.proposer, { model: "org/policy-1b", endpoints: [proposer] });
    assert.deepEqual(fleet.verifier, { model: "org/prm", endpoints: [verifier] });
    assert.equal(fleet.formats.proposer.solve, DEFAULT_PROMPT.solve);
    assert.equal(fleet.formats.proposer.stepDelimiter, DEFAULT_PROMPT.stepDelimiter);
  });

  it("checks a given model name against what the replica serves", async () => {
    await assert.rejects(
      resolveFleet({ proposer: [proposer], verifier: [verifier], proposerModel: "org/typo" }),
      /proposer at http:\/\/127\.0\.0\.1:\d+ serves "org\/policy-1b", not "org\/typo"/,
    );
  });

  it("needs a policy or both URLs", async () => {
    await assert.rejects(resolveFleet({}), /--proposer URL --verifier URL/);
    await assert.rejects(
      resolveFleet({ proposer: [proposer] }),
      /both --proposer URL and --verifier URL/,
    );
  });

  it("uses a policy file's formats and model names, on the given URLs", async () => {
    const path = file(
      "policy.yaml",
      policyYaml(`  proposer:
    model: org/weights
    servedModelName: org/policy-1b
    prompt: {solve: "Q: {problem}\\nA:\\n", stepDelimiter: "\\n", temperature: 0.6}
  verifier:
    model: org/prm
    format: math-shepherd
    aggregation: min`),
    );
    const fleet = await resolveFleet({ policy: path, proposer: [proposer], verifier: [verifier] });
    assert.equal(fleet.source, path);
    assert.equal(fleet.proposer.model, "org/policy-1b");
    assert.equal(fleet.formats.proposer.solve, "Q: {problem}\nA:\n");
    assert.equal(fleet.formats.proposer.stepDelimiter, "\n");
    assert.equal(fleet.formats.verifier.name, "math-shepherd");
    assert.equal(fleet.policy.prompt?.temperature, 0.6);
    assert.equal(fleet.policy.name, "math");
    assert.equal(fleet.policy.bins, 5);
    // The policy-wide settings the router would use come along.
    assert.equal(fleet.policy.aggregation, Aggregation.min);
  });

  it("names a policy file's model the fleet does not serve", async () => {
    const path = file(
      "wrong-model.yaml",
      policyYaml(`  proposer: {model: org/other}
  verifier: {model: org/prm}`),
    );
    await assert.rejects(
      resolveFleet({ policy: path, proposer: [proposer], verifier: [verifier] }),
      /serves "org\/policy-1b", not "org\/other"/,
    );
  });

  it("refuses a policy file whose formats the router would refuse", async () => {
    const path = file(
      "bad-format.yaml",
      policyYaml(`  proposer: {model: org/policy-1b, prompt: {solve: "no placeholder"}}
  verifier: {model: org/prm}`),
    );
    await assert.rejects(
      resolveFleet({ policy: path, proposer: [proposer], verifier: [verifier] }),
      /bad-format\.yaml: .*\{problem\}/,
    );
  });

  it("says how to reach a policy's pools when their Services do not answer", async () => {
    const path = file(
      "no-urls.yaml",
      policyYaml(`  proposer: {model: org/policy-1b}
  verifier: {model: org/prm}`),
    );
    await assert.rejects(
      resolveFleet({ policy: path }),
      /no proposer Service of the policy answers from here \(http:\/\/math-b1-proposer\.team\.svc:8000, .*port-forward svc\/math-b1-proposer/,
    );
  });

  it("tells a missing file from a policy name", async () => {
    await assert.rejects(
      resolveFleet({ policy: join(dir, "nope.yaml") }),
      /no such file, and not a namespace\/name/,
    );
  });
});
