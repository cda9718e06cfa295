// vLLM pods as the operator generates them, on the real API server: the Deployment carries what
// the real vllm/vllm-openai image needs to start under a non-root UID, and the API server refuses
// prefix caching on a verifier.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { desiredState } from "../../controller/desired/state.ts";
import { examplePolicy } from "../../controller/testing/sample.ts";
import { kubectl, namespace } from "../fixture.ts";
import { installCrd, policyDoc } from "./operator-harness.ts";

test("vLLM Deployments: USER and LOGNAME, no service links, a bounded /dev/shm, HF_HUB_OFFLINE on a read-only cache", async (t) => {
  const ns = await namespace(t);
  const policy = examplePolicy(
    (s) => {
      s.modelCache = { claimName: "models", mountPath: "/models", readOnly: true };
    },
    { namespace: ns },
  );
  const deployments = desiredState(policy).objects.filter(
    (o): o is V1Deployment => o.kind === "Deployment",
  );
  assert.ok(deployments.length > 0);
  for (const d of deployments) {
    // No policy object owns them here: without the owner, the garbage collector leaves them be.
    delete d.metadata?.ownerReferences;
    await kubectl(["-n", ns, "apply", "--server-side", "-f", "-"], { input: stringify(d) });
    const got = JSON.parse(
      (await kubectl(["-n", ns, "get", "deployment", d.metadata?.name ?? "", "-o", "json"])).stdout,
    ) as V1Deployment;
    const pod = got.spec?.template.spec;
    const env = new Map(pod?.containers[0]?.env?.map((e) => [e.name, e.value]));
    assert.ok(env.get("USER"), "USER");
    assert.equal(env.get("LOGNAME"), env.get("USER"));
    assert.equal(env.get("HF_HUB_OFFLINE"), "1");
    assert.equal(pod?.enableServiceLinks, false);
    const shm = pod?.volumes?.find((v) => v.name === "dshm")?.emptyDir;
    assert.equal(shm?.medium, "Memory");
    assert.equal(shm?.sizeLimit, "20Gi");
  }
});

test("the API server refuses prefix caching on a verifier, and allows it on a proposer", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  for (const flag of ["--enable-prefix-caching", "--enable-prefix-caching=true"]) {
    const r = await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
      input: stringify(policyDoc("prm-cache", undefined, (d) => (d.spec.verifier.args = [flag]))),
      check: false,
    });
    assert.notEqual(r.code, 0, `${flag} accepted on the verifier`);
    assert.match(r.stderr, /verifier\.args must not enable prefix caching/);
  }
  await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
    input: stringify(
      policyDoc("proposer-cache", undefined, (d) => {
        d.spec.proposer.args = ["--enable-prefix-caching"];
      }),
    ),
  });
});
