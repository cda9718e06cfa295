// Issue 10, KEDA: the operator serves KEDA's external scaler API (--keda-port). A grpc-js client
// on the committed externalscaler.proto asks it, as KEDA would, for an external-mode policy's
// pool fed demand over the real NATS bus: the metric is the real planner's replicas under KEDA's
// AverageValue rule, and writing ceil(value / target) to the Deployment (what KEDA's HPA does)
// gives the pool the planner's size while the operator leaves spec.replicas alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { kedaClient, type WireRef } from "../../operator/keda/keda-client.ts";
import { demandLevels, linearLoad, publishDemand } from "../demand-publisher.ts";
import { gpuPool, kubectl, namespace, nats, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

// 500 tokens per role per request at 16 generations; replicas take 500 tok/s (1000 at 0.5).

test("operator KEDA scaler: a client on the real proto gets the planner's replicas for an external-mode pool", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  const { url } = await nats();
  const operator = await startOperator(t, {
    namespace: ns,
    args: [`--nats=${url}`, "--planner-interval=1", "--keda-port=0"],
  });
  const kedaPort = await waitFor("the KEDA port in the log", () => {
    for (const line of operator.logs().split("\n")) {
      if (!line.includes("serving the KEDA external scaler")) continue;
      return (JSON.parse(line) as { kedaPort: number }).kedaPort;
    }
    return undefined;
  });
  const client = kedaClient(`127.0.0.1:${kedaPort}`);
  t.after(() => client.close());

  const ext = policyDoc("ext", pool, (d: PolicyDoc) => {
    d.spec.scaling = { mode: "external", targetUtilization: 0.5, stabilizationSeconds: 20 };
    d.spec.proposer.capacityTokensPerSecond = 1000;
    d.spec.verifier.capacityTokensPerSecond = 1000;
    d.spec.budget.gpus = 16;
    for (const b of d.spec.bins) {
      b.proposer = { minReplicas: 1, maxReplicas: 4 };
      b.verifier = { minReplicas: 1, maxReplicas: 4 };
    }
  });
  await applyDoc(ns, ext);
  await waitReady(ns, "ext");
  const ref = (bin: number, role: string): WireRef => ({
    name: `ext-b${bin}-${role}`,
    namespace: ns,
    scalerMetadata: {
      scalerAddress: `127.0.0.1:${kedaPort}`,
      policy: "ext",
      bin: String(bin),
      role,
    },
  });
  const metric = async (r: WireRef) => {
    const spec = (await client.getMetricSpec(r)).metricSpecs[0];
    assert.ok(spec, "a metric spec");
    const value = (await client.getMetrics({ scaledObjectRef: r, metricName: spec.metricName }))
      .metricValues[0];
    assert.ok(value, "a metric value");
    assert.equal(value.metricName, spec.metricName);
    return { value: value.metricValueFloat, target: spec.targetSizeFloat };
  };
  const planned = async (bin: number, role: string): Promise<number | undefined> =>
    (await getJson(["-n", ns, "get", "ttp", "ext"])).status?.planner?.bins?.[String(bin)]
      ?.replicas?.[role];

  assert.deepEqual(
    await metric(ref(1, "proposer")),
    { value: 1, target: 1 },
    "no demand: minReplicas",
  );

  const demand = await publishDemand({
    natsUrl: url,
    namespace: ns,
    policy: "ext",
    levels: demandLevels(ext.spec),
  });
  t.after(() => demand.stop());
  // 3 req/s × 500 tokens over 500 tok/s per replica: the planner wants 3 + 3.
  demand.set(1, linearLoad(3));
  for (const role of ["proposer", "verifier"]) {
    const got = await waitFor(`the scaler to report 3 ${role}s`, async () => {
      const m = await metric(ref(1, role));
      return m.value === 3 ? m : undefined;
    });
    assert.equal(
      await planned(1, role),
      3,
      "the scaler's number is the planner's (status.planner)",
    );
    assert.deepEqual(await client.isActive(ref(1, role)), { result: true });
    // KEDA's HPA: AverageValue target, so ceil(value / target) replicas.
    const replicas = Math.ceil(got.value / got.target);
    await kubectl(["-n", ns, "scale", "deploy", `ext-b1-${role}`, `--replicas=${replicas}`]);
  }
  assert.deepEqual((await metric(ref(2, "proposer"))).value, 1, "an idle bin stays at its minimum");

  // The operator keeps its hands off spec.replicas in external mode: the pool converges there.
  const ready = await waitFor("bin 1 ready at the planner's size", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "ext"]);
    const b1 = p.status?.bins?.find((b: PolicyDoc) => b.bin === 1);
    return b1?.proposer?.readyReplicas === 3 && b1?.verifier?.readyReplicas === 3 ? b1 : undefined;
  });
  assert.equal(ready.proposer.desiredReplicas, 3);
  assert.equal((await getJson(["-n", ns, "get", "deploy", "ext-b1-proposer"])).spec.replicas, 3);
  // The same number for a plain HPA on an external metric (examples/hpa-external-metric.yaml).
  assert.equal(
    await operator.metric("mull_pool_replicas", {
      policy: "ext",
      bin: "1",
      role: "proposer",
      state: "planned",
    }),
    3,
  );

  await assert.rejects(
    client.getMetrics({ scaledObjectRef: ref(7, "proposer"), metricName: "" }),
    (e: { code: status; details: string }) =>
      e.code === status.NOT_FOUND && /has no bin 7/.test(e.details),
  );
  assert.ok(
    (await operator.metric("mull_operator_keda_calls_total", {
      method: "GetMetrics",
      code: "OK",
    })) > 0,
  );
});
