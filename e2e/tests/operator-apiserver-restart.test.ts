// Issue 4, e2e 7: the API server restarts under a running operator; the operator's watches fail,
// restart with backoff, and it goes on reconciling without a process restart. The operator talks
// to a private kube-apiserver on the shared etcd, so restarting it disturbs no other test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gpuPool, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  policyDoc,
  privateApiserver,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

test("operator: recovers from an API server restart without restarting", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  const api = await privateApiserver(t);
  const op = await startOperator(t, { namespace: ns, kubeconfig: api.kubeconfig });
  await applyDoc(ns, policyDoc("math", pool));
  await waitReady(ns, "math");

  await api.restart();
  // A spec change made while (and after) the operator's watches were broken is still seen.
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.bins[0].proposer.minReplicas = 2;
    }),
  );
  await waitFor(
    "math-b1-proposer scaled after the restart",
    async () =>
      (await getJson(["-n", ns, "get", "deploy", "math-b1-proposer"])).spec.replicas === 2,
    { timeoutMs: 120_000 },
  );
  await waitReady(ns, "math");
  assert.ok(op.isRunning(), "the operator exited");
  assert.ok(
    (await op.metric("mull_operator_informer_restarts_total")) > 0,
    "no watch was restarted",
  );
});
