// vLLM pods as the operator writes them, on the real control plane: the Deployment carries what
// the real vllm/vllm-openai image needs to start under a non-root UID, and the API server refuses
// prefix caching on a verifier.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Deployment } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { desiredState } from "../../controller/desired/state.ts";
import { examplePolicy } from "../../controller/testing/sample.ts";
import { gpuPool, kubectl, namespace, waitFor } from "../fixture.ts";
import { applyDoc, installCrd, policyDoc, startOperator } from "./operator-harness.ts";

test("vLLM Deployments written by the operator: USER and LOGNAME, no service links, a bounded /dev/shm, HF_HUB_OFFLINE on a read-only cache", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  await startOperator(t, { namespace: ns, args: ["--resync-period=2"] });
  await applyDoc(
    ns,
    policyDoc("pods", pool, (d) => {
      d.spec.modelCache = { claimName: "models", mountPath: "/models", readOnly: true };
    }),
  );
  // The names the operator is expected to write come from the same pure function it runs.
  const expected = desiredState(
    examplePolicy(() => {}, { namespace: ns, name: "pods" }),
  ).objects.filter((o): o is V1Deployment => o.kind === "Deployment");
  assert.ok(expected.length > 0);
  for (const want of expected) {
    const name = want.metadata?.name ?? "";
    const got = await waitFor(
      `Deployment ${name} written by the operator`,
      async () => {
        const r = await kubectl(["-n", ns, "get", "deployment", name, "-o", "json"], {
          check: false,
        });
        return r.code === 0 ? (JSON.parse(r.stdout) as V1Deployment) : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const pod = got.spec?.template.spec;
    const env = new Map(pod?.containers[0]?.env?.map((e) => [e.name, e.value]));
    assert.ok(env.get("USER"), `${name}: USER`);
    assert.equal(env.get("LOGNAME"), env.get("USER"), `${name}: LOGNAME`);
    assert.equal(env.get("HF_HUB_OFFLINE"), "1", `${name}: HF_HUB_OFFLINE`);
    assert.equal(pod?.enableServiceLinks, false, `${name}: enableServiceLinks`);
    const shm = pod?.volumes?.find((v) => v.name === "dshm")?.emptyDir;
    assert.equal(shm?.medium, "Memory", `${name}: /dev/shm medium`);
    assert.equal(shm?.sizeLimit, "20Gi", `${name}: /dev/shm sizeLimit`);
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
