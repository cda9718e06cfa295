// Issue 4, e2e 1, 2 and 4: the sample policy becomes pools on kwok GPU nodes, follows spec changes,
// prunes removed bins, is garbage-collected on deletion, and a no-op resync writes nothing.
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

const labelSelector = "mull.dev/policy=math";

test("operator: the sample policy becomes Ready pools; spec changes, pruning and GC follow", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  const op = await startOperator(t, { namespace: ns, args: ["--resync-period=2"] });
  await applyDoc(ns, policyDoc("math", pool));
  const policy = await waitReady(ns, "math");
  assert.equal(policy.status.gpus.requested, 6);
  assert.equal(policy.status.gpus.budget, 8);
  assert.deepEqual(
    policy.status.bins.map((b: PolicyDoc) => [
      b.bin,
      b.proposer.readyReplicas,
      b.verifier.readyReplicas,
    ]),
    [
      [1, 1, 1],
      [2, 1, 1],
      [3, 1, 1],
    ],
  );

  const deployments = (await getJson(["-n", ns, "get", "deploy", "-l", labelSelector])).items;
  assert.deepEqual(
    deployments.map((d: PolicyDoc) => d.metadata.name).sort(),
    ["b1", "b2", "b3"].flatMap((b) => [`math-${b}-proposer`, `math-${b}-verifier`]),
  );
  const verifier = deployments.find((d: PolicyDoc) => d.metadata.name === "math-b2-verifier");
  const c = verifier.spec.template.spec.containers[0];
  assert.equal(c.resources.limits["nvidia.com/gpu"], "1");
  assert.deepEqual(c.command, ["vllm", "serve"]);
  assert.ok(c.args.includes("--runner=pooling"));
  assert.equal(c.startupProbe.httpGet.path, "/health");
  assert.equal(c.readinessProbe.httpGet.path, "/health");
  assert.equal(c.livenessProbe.httpGet.path, "/health");
  for (const [k, v] of Object.entries({
    "app.kubernetes.io/name": "vllm",
    "app.kubernetes.io/instance": "math",
    "app.kubernetes.io/component": "verifier",
    "app.kubernetes.io/part-of": "mull",
    "app.kubernetes.io/managed-by": "mull-operator",
    "mull.dev/policy": "math",
    "mull.dev/bin": "2",
    "mull.dev/role": "verifier",
  })) {
    assert.equal(verifier.metadata.labels[k], v, k);
  }
  assert.equal(verifier.metadata.ownerReferences[0].kind, "TestTimePolicy");
  assert.equal(verifier.metadata.ownerReferences[0].uid, policy.metadata.uid);
  const services = (await getJson(["-n", ns, "get", "svc", "-l", labelSelector])).items;
  assert.equal(services.length, 6);
  const cm = await getJson(["-n", ns, "get", "configmap", "math-router"]);
  assert.match(cm.data["router.yaml"], /http:\/\/math-b1-proposer\..*\.svc:8000/);
  const pods = (await getJson(["-n", ns, "get", "pods", "-l", labelSelector])).items;
  assert.equal(pods.length, 6);
  for (const p of pods)
    assert.ok(pool.nodes.includes(p.spec.nodeName), `${p.metadata.name} on ${p.spec.nodeName}`);

  // e2e 4: steady state. Resyncs happen (every 2 s here) but write nothing.
  const versions = async () =>
    (await getJson(["-n", ns, "get", "deploy,svc,configmap,ttp", "-l", labelSelector])).items
      .map((o: PolicyDoc) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`)
      .sort();
  // Let the status settle (the last pod-ready events) before taking the baseline.
  await waitFor("writes to stop", async () => {
    const before = await op.metric("mull_operator_writes_total");
    await new Promise((r) => setTimeout(r, 3000));
    return (await op.metric("mull_operator_writes_total")) === before;
  });
  const rvBefore = [
    ...(await versions()),
    `ttp@${(await getJson(["-n", ns, "get", "ttp", "math"])).metadata.resourceVersion}`,
  ];
  const writesBefore = await op.metric("mull_operator_writes_total");
  const reconcilesBefore = await op.metric("mull_operator_reconciles_total");
  await waitFor("two resyncs", async () =>
    (await op.metric("mull_operator_reconciles_total")) >= reconcilesBefore + 2 ? true : undefined,
  );
  assert.equal(await op.metric("mull_operator_writes_total"), writesBefore, "a no-op resync wrote");
  assert.deepEqual(
    [
      ...(await versions()),
      `ttp@${(await getJson(["-n", ns, "get", "ttp", "math"])).metadata.resourceVersion}`,
    ],
    rvBefore,
  );

  // e2e 2: minReplicas change updates the Deployment.
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.bins[0].proposer.minReplicas = 2;
    }),
  );
  await waitFor("math-b1-proposer scaled to 2", async () => {
    const d = await getJson(["-n", ns, "get", "deploy", "math-b1-proposer"]);
    return d.spec.replicas === 2 && d.status.readyReplicas === 2;
  });
  const afterScale = await waitReady(ns, "math");
  assert.equal(afterScale.status.gpus.requested, 7);

  // Removing bin 3 prunes its two pools (and says so in Events).
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.bins[0].proposer.minReplicas = 2;
      d.spec.bins = d.spec.bins.filter((b: PolicyDoc) => b.bin !== 3);
    }),
  );
  await waitFor("bin 3 pools pruned", async () => {
    const names = (await getJson(["-n", ns, "get", "deploy,svc", "-l", labelSelector])).items.map(
      (o: PolicyDoc) => o.metadata.name,
    );
    return names.length === 8 && !names.some((n: string) => n.startsWith("math-b3-"));
  });
  // One Event per reconcile, naming what it deleted (or created) rather than one per object.
  const pruned = await waitFor("a Pruned event", async () =>
    (await getJson(["-n", ns, "get", "events"])).items.find(
      (e: PolicyDoc) => e.reason === "Pruned" && e.involvedObject.name === "math",
    ),
  );
  assert.equal(
    pruned.message,
    "pruned 2 Deployments and 2 Services no longer in the spec: math-b3-proposer, math-b3-verifier",
  );
  const created = (await getJson(["-n", ns, "get", "events"])).items.filter(
    (e: PolicyDoc) => e.reason === "Created" && e.involvedObject.name === "math",
  );
  assert.deepEqual(
    created.map((e: PolicyDoc) => e.message),
    [
      "created 6 Deployments, 6 Services and 1 ConfigMap: math-b1-proposer, math-b1-verifier, " +
        "math-b2-proposer, math-b2-verifier, math-b3-proposer, math-b3-verifier, math-router",
    ],
  );

  // Deleting the policy garbage-collects everything it owned.
  await kubectl(["-n", ns, "delete", "ttp", "math", "--wait=true"]);
  await waitFor(
    "owned objects garbage-collected",
    async () =>
      (await getJson(["-n", ns, "get", "deploy,svc,configmap", "-l", labelSelector])).items
        .length === 0,
    { timeoutMs: 120_000 },
  );
  assert.ok(op.isRunning());
});
