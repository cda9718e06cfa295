// The KEDA external scaler over real gRPC: a grpc-js client on the committed .proto (through
// proto-loader, not our generated code) against the server, fed by policies whose status holds
// the real planner's state.
import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { step } from "../../controller/planner/planner.ts";
import { emptyState, encodeState } from "../../controller/planner/state.ts";
import type { TestTimePolicy } from "../../controller/policy/types.ts";
import { plannablePolicy } from "../../controller/testing/sample.ts";
import { kedaClient, type WireRef } from "./keda-client.ts";
import { startKedaServer } from "./server.ts";

function withPlan(policy: TestTimePolicy, requestsPerSecond: number): TestTimePolicy {
  const out = step(emptyState(), {
    spec: policy.spec,
    demand: [
      { bin: 1, requestsPerSecond, proposerTokensPerRequest: 1400, verifierTokensPerRequest: 700 },
    ],
    now: 1_000,
  });
  return { ...policy, status: { planner: encodeState(out.state) } as TestTimePolicy["status"] };
}

async function setup(t: import("node:test").TestContext) {
  const policies = new Map<string, TestTimePolicy>();
  const calls: string[] = [];
  const server = await startKedaServer({
    host: "127.0.0.1",
    port: 0,
    policies: { policy: (ns, name) => policies.get(`${ns}/${name}`) },
    streamCheckMs: 20,
    onCall: (method, code) => calls.push(`${method} ${code}`),
  });
  const client = kedaClient(`127.0.0.1:${server.port}`);
  t.after(async () => {
    client.close();
    await server.shutdown();
  });
  const external = plannablePolicy("external", { gpus: 100, maxReplicas: 8 });
  return { policies, calls, client, external };
}

const ref = (metadata: Record<string, string>): WireRef => ({
  name: "math-b1-proposer",
  namespace: "ns1",
  scalerMetadata: { scalerAddress: "mull-operator-keda.mull:9090", ...metadata },
});

test("KEDA scaler: GetMetricSpec and GetMetrics give the planner's replicas under KEDA's AverageValue rule", async (t) => {
  const { policies, client, external, calls } = await setup(t);
  policies.set("ns1/math", withPlan(external, 2));
  const proposer = ref({ policy: "math", bin: "1", role: "proposer" });
  const verifier = ref({ policy: "ns1/math", bin: "1", role: "verifier" });

  const spec = await client.getMetricSpec(proposer);
  assert.deepEqual(spec.metricSpecs, [
    { metricName: "mull-ns1-math-b1-proposer", targetSize: "1", targetSizeFloat: 1 },
  ]);
  for (const [r, want] of [
    [proposer, 4],
    [verifier, 2],
  ] as const) {
    const name = (await client.getMetricSpec(r)).metricSpecs[0]?.metricName as string;
    const { metricValues } = await client.getMetrics({ scaledObjectRef: r, metricName: name });
    assert.equal(metricValues.length, 1);
    const v = metricValues[0] as (typeof metricValues)[number];
    assert.equal(v.metricName, name);
    assert.equal(v.metricValueFloat, want);
    assert.equal(v.metricValue, String(want));
    // The HPA KEDA makes: ceil(value / AverageValue target).
    assert.equal(Math.ceil(v.metricValueFloat / (spec.metricSpecs[0]?.targetSizeFloat ?? 0)), want);
    assert.deepEqual(await client.isActive(r), { result: true });
  }
  assert.ok(calls.includes("GetMetrics OK"));
});

test("KEDA scaler: bad metadata, unknown policies and bins, the wrong mode and metric answer clear statuses", async (t) => {
  const { policies, client, external, calls } = await setup(t);
  policies.set("ns1/math", withPlan(external, 1));
  policies.set("ns1/pinned", plannablePolicy("manual", { gpus: 100, maxReplicas: 8 }));
  const cases: Array<{ metadata: Record<string, string>; code: status; message: RegExp }> = [
    {
      metadata: { bin: "1", role: "proposer" },
      code: status.INVALID_ARGUMENT,
      message: /lacks "policy"/,
    },
    {
      metadata: { policy: "math", bin: "x", role: "proposer" },
      code: status.INVALID_ARGUMENT,
      message: /"bin" must be/,
    },
    {
      metadata: { policy: "math", bin: "1", role: "gpu" },
      code: status.INVALID_ARGUMENT,
      message: /"role" must be one of/,
    },
    {
      metadata: { policy: "other", bin: "1", role: "proposer" },
      code: status.NOT_FOUND,
      message: /policy ns1\/other not found/,
    },
    {
      metadata: { policy: "math", bin: "9", role: "proposer" },
      code: status.NOT_FOUND,
      message: /has no bin 9/,
    },
    {
      metadata: { policy: "pinned", bin: "1", role: "proposer" },
      code: status.FAILED_PRECONDITION,
      message: /manual mode/,
    },
  ];
  for (const c of cases) {
    for (const call of [
      () => client.isActive(ref(c.metadata)),
      () => client.getMetricSpec(ref(c.metadata)),
      () => client.getMetrics({ scaledObjectRef: ref(c.metadata), metricName: "" }),
    ]) {
      await assert.rejects(call(), (e: { code: status; details: string }) => {
        assert.equal(e.code, c.code, `${JSON.stringify(c.metadata)}: ${e.details}`);
        assert.match(e.details, c.message);
        return true;
      });
    }
  }
  await assert.rejects(
    client.getMetrics({
      scaledObjectRef: ref({ policy: "math", bin: "1", role: "proposer" }),
      metricName: "mull-ns1-math-b2-proposer",
    }),
    (e: { code: status; details: string }) =>
      e.code === status.INVALID_ARGUMENT && /not this trigger's/.test(e.details),
  );
  await assert.rejects(
    client.getMetrics({ metricName: "" } as never),
    (e: { code: status; details: string }) =>
      e.code === status.INVALID_ARGUMENT && /no scaledObjectRef/.test(e.details),
  );
  assert.ok(calls.includes("GetMetrics NOT_FOUND") && calls.includes("IsActive INVALID_ARGUMENT"));
});

test("KEDA scaler: StreamIsActive pushes the activity at once and each change; StreamMetricSpec sends the spec and stays open", async (t) => {
  const { policies, client } = await setup(t);
  // minReplicas 0 lets the planner stop an idle bin: KEDA's 0 ↔ 1.
  const scalable = plannablePolicy("external", { gpus: 100, maxReplicas: 8 }, (s) => {
    for (const b of s.bins) b.proposer.minReplicas = 0;
  });
  policies.set("ns1/math", withPlan(scalable, 0));
  const r = ref({ policy: "math", bin: "1", role: "proposer" });
  const stream = client.streamIsActive(r);
  const seen: boolean[] = [];
  const next = () =>
    new Promise<boolean>((resolve, reject) => {
      stream.once("data", (m: { result: boolean }) => {
        seen.push(m.result);
        resolve(m.result);
      });
      stream.once("error", reject);
    });
  assert.equal(await next(), false, "idle: inactive");
  policies.set("ns1/math", withPlan(scalable, 2));
  assert.equal(await next(), true, "demand: active");
  policies.set("ns1/math", withPlan(scalable, 0));
  assert.equal(await next(), false);
  assert.deepEqual(seen, [false, true, false], "only changes are pushed");
  stream.cancel();

  const specs = client.streamMetricSpec(r);
  const first = await new Promise<{ metricSpecs: Array<{ metricName: string }> }>(
    (resolve, reject) => {
      specs.once("data", resolve);
      specs.once("error", reject);
    },
  );
  assert.equal(first.metricSpecs[0]?.metricName, "mull-ns1-math-b1-proposer");
  let ended = false;
  specs.on("end", () => {
    ended = true;
  });
  specs.on("error", () => {});
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(ended, false, "the spec stream stays open");
  specs.cancel();

  // A stream on a policy that goes away ends with NOT_FOUND (KEDA reopens it).
  const gone = client.streamIsActive(r);
  await new Promise<void>((resolve) => gone.once("data", () => resolve()));
  policies.delete("ns1/math");
  const error = await new Promise<{ code: status }>((resolve) => gone.once("error", resolve));
  assert.equal(error.code, status.NOT_FOUND);
});
