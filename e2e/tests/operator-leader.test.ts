// Issue 4, e2e 6: two operator processes share one Lease. Exactly one reconciles; when it is
// killed the other takes over within the lease duration and goes on reconciling; SIGTERM
// releases the lease and exits cleanly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { cluster, gpuPool, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  policyDoc,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

test("operator: one leader reconciles; a killed leader is replaced; SIGTERM releases the lease", async (t) => {
  await installCrd();
  const c = await cluster();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  const leases = c.kubeConfig.makeApiClient(CoordinationV1Api);
  const opts = { namespace: ns, leaseName: "mull-operator-e2e" };
  const a = await startOperator(t, { ...opts, identity: "replica-a" });
  const b = await startOperator(t, { ...opts, identity: "replica-b" });
  const leaderOf = async () =>
    (await leases.readNamespacedLease({ name: opts.leaseName, namespace: ns })).spec
      ?.holderIdentity;
  const first = await waitFor("a leader", async () => {
    const h = await leaderOf();
    return h === "replica-a" || h === "replica-b" ? h : undefined;
  });
  const [leader, follower] = first === "replica-a" ? [a, b] : [b, a];
  await waitFor("leader gauge", async () => (await leader.metric("mull_operator_leader")) === 1);
  assert.equal(await follower.metric("mull_operator_leader"), 0);

  await applyDoc(ns, policyDoc("math", pool));
  await waitReady(ns, "math");
  assert.ok((await leader.metric("mull_operator_writes_total")) > 0);
  assert.equal(await follower.metric("mull_operator_writes_total"), 0, "the follower wrote");
  assert.equal(
    await follower.metric("mull_operator_reconciles_total"),
    0,
    "the follower reconciled",
  );

  // Kill the leader: the follower takes the lease once it expires (6 s) and reconciles.
  leader.child.kill("SIGKILL");
  await leader.exited;
  await waitFor("the follower to lead", async () => (await leaderOf()) === follower.identity, {
    timeoutMs: 30_000,
  });
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.bins[1].verifier.minReplicas = 2;
    }),
  );
  await waitFor("the new leader to scale math-b2-verifier", async () => {
    const d = await getJson(["-n", ns, "get", "deploy", "math-b2-verifier"]);
    return d.spec.replicas === 2;
  });
  assert.ok((await follower.metric("mull_operator_reconciles_total")) > 0);

  // SIGTERM: the lease is released (holderIdentity cleared) and the process exits 0.
  follower.child.kill("SIGTERM");
  assert.equal(await follower.exited, 0);
  assert.equal(await leaderOf(), "");
});
