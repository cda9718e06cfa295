// The committed KEDA ScaledObject and HPA examples (examples/), checked against what the code
// expects. KEDA's CRDs are not installed in the e2e cluster, so these are parsed, not applied.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { poolName } from "../../controller/desired/naming.ts";
import { targetPerReplica } from "../../controller/keda/desired.ts";
import { parseTrigger } from "../../controller/keda/trigger.ts";
import { roles } from "../../controller/policy/names.ts";

const example = (file: string) => new URL(`../../examples/${file}`, import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: YAML documents inspected freely
const docs = (file: string): any[] =>
  parseAllDocuments(readFileSync(example(file), "utf8")).map((d) => d.toJS());
const policy = parse(readFileSync(example("policy.yaml"), "utf8"));

test("examples/keda-scaledobject.yaml: each trigger names a pool of examples/policy.yaml and scales its Deployment within its bounds", () => {
  const objects = docs("keda-scaledobject.yaml");
  assert.ok(objects.length >= 2);
  for (const so of objects) {
    assert.equal(so.apiVersion, "keda.sh/v1alpha1");
    assert.equal(so.kind, "ScaledObject");
    assert.equal(so.spec.triggers.length, 1);
    const trigger = so.spec.triggers[0];
    assert.ok(["external", "external-push"].includes(trigger.type), trigger.type);
    assert.equal(trigger.metricType, "AverageValue", "the replica rule needs AverageValue");
    assert.match(trigger.metadata.scalerAddress, /^[a-z0-9.-]+:\d+$/);
    const parsed = parseTrigger({
      name: so.metadata.name,
      namespace: "default",
      scalerMetadata: trigger.metadata,
    });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const { pool } = parsed;
    assert.equal(pool.policy, policy.metadata.name);
    assert.equal(so.spec.scaleTargetRef.name, poolName(pool.policy, pool.bin, pool.role));
    const bin = policy.spec.bins.find((b: { bin: number }) => b.bin === pool.bin);
    assert.ok(bin, `bin ${pool.bin} in the policy`);
    assert.equal(so.spec.minReplicaCount, bin[pool.role].minReplicas);
    assert.equal(so.spec.maxReplicaCount, bin[pool.role].maxReplicas);
  }
  assert.deepEqual(new Set(objects.map((o) => o.spec.triggers[0].metadata.role)), new Set(roles));
});

test("examples/hpa-external-metric.yaml: an autoscaling/v2 HPA on the planned-replicas metric, AverageValue 1", () => {
  const [hpa, ...rest] = docs("hpa-external-metric.yaml");
  assert.equal(rest.length, 0);
  assert.equal(hpa.apiVersion, "autoscaling/v2");
  assert.equal(hpa.kind, "HorizontalPodAutoscaler");
  const metric = hpa.spec.metrics[0];
  assert.equal(metric.type, "External");
  assert.equal(metric.external.metric.name, "mull_pool_planned_replicas");
  const { policy: name, bin, role } = metric.external.metric.selector.matchLabels;
  assert.equal(name, policy.metadata.name);
  assert.deepEqual(hpa.spec.scaleTargetRef, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: poolName(name, Number(bin), role),
  });
  assert.deepEqual(metric.external.target, {
    type: "AverageValue",
    averageValue: String(targetPerReplica),
  });
  const b = policy.spec.bins.find((x: { bin: number }) => x.bin === Number(bin));
  assert.equal(hpa.spec.minReplicas, b[role].minReplicas);
  assert.equal(hpa.spec.maxReplicas, b[role].maxReplicas);
  // The adapter rule in the comment reads the series the operator exports.
  const text = readFileSync(example("hpa-external-metric.yaml"), "utf8");
  assert.match(text, /seriesQuery: 'mull_pool_replicas\{state="planned"\}'/);
});
