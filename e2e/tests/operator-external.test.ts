// Issue 4, e2e 9: in external mode an outside writer (an HPA, KEDA, here kubectl scale) owns
// spec.replicas, and the operator's server-side applies never take it back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gpuPool, kubectl, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

test("operator: external mode leaves spec.replicas to an outside writer", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  await startOperator(t, { namespace: ns });
  const external = (edit: (d: PolicyDoc) => void = () => {}) =>
    policyDoc("ext", pool, (d) => {
      d.spec.scaling.mode = "external";
      edit(d);
    });
  await applyDoc(ns, external());
  await waitReady(ns, "ext");

  await kubectl(["-n", ns, "scale", "deploy", "ext-b1-proposer", "--replicas=2"]);
  const before = await getJson(["-n", ns, "get", "deploy", "ext-b1-proposer"]);
  // A spec change makes the operator re-apply every Deployment (their hash changes).
  await applyDoc(
    ns,
    external((d) => {
      d.spec.proposer.args.push("--seed=1");
    }),
  );
  const after = await waitFor("the operator to re-apply ext-b1-proposer", async () => {
    const d = await getJson([
      "-n",
      ns,
      "get",
      "deploy",
      "ext-b1-proposer",
      "--show-managed-fields",
    ]);
    return d.metadata.annotations["mull.dev/spec-hash"] !==
      before.metadata.annotations["mull.dev/spec-hash"]
      ? d
      : undefined;
  });
  assert.ok(after.spec.template.spec.containers[0].args.includes("--seed=1"));
  assert.equal(after.spec.replicas, 2, "the operator took spec.replicas back");
  const ours = after.metadata.managedFields.find((m: PolicyDoc) => m.manager === "mull-operator");
  assert.ok(ours, "no mull-operator field manager");
  assert.ok(
    !JSON.stringify(ours.fieldsV1.spec ?? {}).includes("f:replicas"),
    "mull-operator owns replicas",
  );
  const ready = await waitReady(ns, "ext");
  const b1 = ready.status.bins.find((b: PolicyDoc) => b.bin === 1);
  assert.equal(b1.proposer.desiredReplicas, 2, "status reports the autoscaler's replicas");
});
