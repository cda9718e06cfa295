import assert from "node:assert/strict";
import { test } from "node:test";
import { metricName, parseTrigger } from "./trigger.ts";

const ref = (scalerMetadata: Record<string, string>) => ({
  name: "math-b1-proposer",
  namespace: "team-a",
  scalerMetadata,
});

test("parseTrigger: the pool a trigger names, the policy in the ScaledObject's namespace or its own", () => {
  const cases: Array<{ metadata: Record<string, string>; pool: unknown }> = [
    {
      metadata: { policy: "math", bin: "1", role: "proposer" },
      pool: { namespace: "team-a", policy: "math", bin: 1, role: "proposer" },
    },
    {
      metadata: { policy: "fleet/math", bin: "3", role: "verifier", scalerAddress: "x:9090" },
      pool: { namespace: "fleet", policy: "math", bin: 3, role: "verifier" },
    },
    {
      metadata: { policy: " math ", bin: " 2 ", role: "proposer" },
      pool: { namespace: "team-a", policy: "math", bin: 2, role: "proposer" },
    },
  ];
  for (const c of cases) {
    const r = parseTrigger(ref(c.metadata));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.pool, c.pool);
  }
});

test("parseTrigger: bad metadata is INVALID_ARGUMENT naming the key", () => {
  const cases: Array<{ metadata: Record<string, string>; message: RegExp }> = [
    { metadata: {}, message: /lacks "policy", "bin", "role"/ },
    { metadata: { policy: "math", role: "proposer" }, message: /lacks "bin"/ },
    { metadata: { policy: "math", bin: "1", role: "" }, message: /lacks "role"/ },
    { metadata: { bin: "1", role: "proposer" }, message: /lacks "policy"/ },
    { metadata: { policy: "a/b/c", bin: "1", role: "proposer" }, message: /"policy" must be/ },
    { metadata: { policy: "Bad_NS/math", bin: "1", role: "proposer" }, message: /bad namespace/ },
    { metadata: { policy: "ns/Math!", bin: "1", role: "proposer" }, message: /bad name "Math!"/ },
    {
      metadata: { policy: "math", bin: "one", role: "proposer" },
      message: /"bin" must be a bin number, got "one"/,
    },
    { metadata: { policy: "math", bin: "-1", role: "proposer" }, message: /"bin" must be/ },
    { metadata: { policy: "math", bin: "1.5", role: "proposer" }, message: /"bin" must be/ },
    {
      metadata: { policy: "math", bin: "1", role: "both" },
      message: /"role" must be one of proposer, verifier, got "both"/,
    },
  ];
  for (const c of cases) {
    const r = parseTrigger(ref(c.metadata));
    assert.equal(r.ok, false, JSON.stringify(c.metadata));
    if (r.ok) continue;
    assert.equal(r.code, "INVALID_ARGUMENT");
    assert.match(r.message, c.message);
  }
  const noNamespace = parseTrigger({
    name: "x",
    namespace: "",
    scalerMetadata: { policy: "math", bin: "1", role: "proposer" },
  });
  assert.ok(!noNamespace.ok && /no namespace/.test(noNamespace.message));
});

test("metricName: one name per pool, the same for every call", () => {
  const pool = { namespace: "fleet", policy: "math", bin: 2, role: "verifier" as const };
  assert.equal(metricName(pool), "mull-fleet-math-b2-verifier");
  assert.notEqual(metricName(pool), metricName({ ...pool, role: "proposer" }));
});
