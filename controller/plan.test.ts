import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { desiredState } from "./desired/state.ts";
import { plan } from "./plan.ts";
import { examplePolicy } from "./testing/sample.ts";

// What the API server would hand back: the applied object plus server-side fields.
function observedFrom(objects: KubernetesObject[]): KubernetesObject[] {
  return objects.map((o) => ({
    ...structuredClone(o),
    metadata: { ...o.metadata, resourceVersion: "7", uid: "u" },
  }));
}

test("nothing changed: no write at all", () => {
  const { objects } = desiredState(examplePolicy());
  const p = plan(objects, observedFrom(objects));
  assert.deepEqual(p, { apply: [], prune: [] });
});

test("a changed minReplicas updates just that Deployment", () => {
  const before = desiredState(examplePolicy()).objects;
  const after = desiredState(
    examplePolicy((s) => {
      if (s.bins[0]) s.bins[0].proposer.minReplicas = 2;
    }),
  ).objects;
  const p = plan(after, observedFrom(before));
  assert.deepEqual(
    p.apply.map((a) => `${a.reason} ${a.object.kind}/${a.object.metadata?.name}`),
    ["update Deployment/math-b1-proposer"],
  );
});

test("a removed bin prunes its pools; a new one creates them", () => {
  const before = desiredState(examplePolicy()).objects;
  const after = desiredState(
    examplePolicy((s) => {
      s.bins = s.bins.filter((b) => b.bin !== 3);
    }),
  ).objects;
  const p = plan(after, observedFrom(before));
  assert.deepEqual(p.prune.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), [
    "Deployment/math-b3-proposer",
    "Deployment/math-b3-verifier",
    "Service/math-b3-proposer",
    "Service/math-b3-verifier",
  ]);
  assert.deepEqual(
    p.apply.map((a) => a.object.kind),
    ["ConfigMap"],
  );
  const back = plan(before, observedFrom(after));
  assert.equal(back.apply.filter((a) => a.reason === "create").length, 4);
});

test("replicas changed by someone else are drift in manual mode, ignored in external mode", () => {
  const { objects } = desiredState(examplePolicy());
  const observed = observedFrom(objects);
  (observed[0] as { spec: { replicas: number } }).spec.replicas = 5;
  assert.deepEqual(
    plan(objects, observed).apply.map((a) => a.reason),
    ["drift"],
  );
  const ext = desiredState(
    examplePolicy((s) => {
      s.scaling.mode = "external";
    }),
  ).objects;
  const extObserved = observedFrom(ext);
  (extObserved[0] as { spec: { replicas?: number } }).spec.replicas = 5;
  assert.deepEqual(plan(ext, extObserved).apply, []);
});

test("a hand edit of a field we set is drift; server-side additions are not", () => {
  const { objects } = desiredState(examplePolicy());
  const observed = observedFrom(objects);
  const deployment = observed.find((o) => o.kind === "Deployment") as {
    spec: { template: { spec: { containers: { args: string[]; imagePullPolicy?: string }[] } } };
  };
  const container = deployment.spec.template.spec.containers[0];
  assert.ok(container);
  container.imagePullPolicy = "IfNotPresent";
  assert.deepEqual(plan(objects, observed).apply, [], "a server default is not drift");
  container.args = [...container.args, "--enforce-eager"];
  assert.deepEqual(
    plan(objects, observed).apply.map((a) => `${a.reason} ${a.object.kind}`),
    ["drift Deployment"],
  );
});
