// Issue 4, e2e 5: SIGKILL the operator while it reconciles 20 policies; a new process converges
// with exactly the objects the policies call for: no duplicate, no orphan.
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { gpuPool, kubectl, namespace, waitFor } from "../fixture.ts";
import {
  condition,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
} from "./operator-harness.ts";

const policies = 20;

test("operator: killed mid-reconcile of 20 policies, a restart converges without duplicates or orphans", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  // One bin, no GPUs per replica: 20 small policies, 40 pools, all schedulable.
  const docs = Array.from({ length: policies }, (_, i) =>
    policyDoc(`p${i}`, pool, (d) => {
      d.spec.proposer.gpus = 0;
      d.spec.verifier.gpus = 0;
      d.spec.difficulty = { bins: 1 };
      d.spec.bins = [d.spec.bins[0]];
    }),
  );
  await kubectl(["-n", ns, "apply", "-f", "-"], {
    input: docs.map((d) => stringify(d)).join("---\n"),
  });

  const first = await startOperator(t, { namespace: ns, args: ["--concurrency=1"] });
  // 5 objects per policy; stop it hard somewhere in the middle of the 100 applies.
  await waitFor("some applies", () => first.logged("applied") >= 15, { intervalMs: 10 });
  first.child.kill("SIGKILL");
  await first.exited;
  const partial = (
    await getJson(["-n", ns, "get", "deploy", "-l", "app.kubernetes.io/managed-by=mull-operator"])
  ).items.length;
  assert.ok(
    partial < policies * 2,
    `the first operator finished (${partial}) before it was killed`,
  );

  await startOperator(t, { namespace: ns });
  await waitFor(
    "all 20 policies Ready",
    async () => {
      const list = (await getJson(["-n", ns, "get", "ttp"])).items;
      return (
        list.length === policies &&
        list.every((p: PolicyDoc) => condition(p, "Ready")?.status === "True")
      );
    },
    { timeoutMs: 180_000 },
  );
  const uids = new Map(
    (await getJson(["-n", ns, "get", "ttp"])).items.map((p: PolicyDoc) => [
      p.metadata.uid,
      p.metadata.name,
    ]),
  );
  for (const kind of ["deploy", "svc", "configmap"]) {
    const items = (
      await getJson(["-n", ns, "get", kind, "-l", "app.kubernetes.io/managed-by=mull-operator"])
    ).items;
    const expected = kind === "configmap" ? policies : policies * 2;
    assert.equal(items.length, expected, `${kind} count`);
    for (const o of items) {
      const owner = o.metadata.ownerReferences?.find((r: PolicyDoc) => r.controller);
      assert.ok(
        owner && uids.get(owner.uid) === o.metadata.labels["mull.dev/policy"],
        `orphan ${o.metadata.name}`,
      );
    }
  }
  const pods = (
    await getJson(["-n", ns, "get", "pods", "-l", "app.kubernetes.io/managed-by=mull-operator"])
  ).items;
  assert.equal(pods.length, policies * 2, "one pod per pool, no duplicates");
});
