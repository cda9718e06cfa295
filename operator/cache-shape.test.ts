import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { desiredState } from "../controller/desired/state.ts";
import { plan } from "../controller/plan.ts";
import { pendingVerdict } from "../controller/pods.ts";
import { examplePolicy } from "../controller/testing/sample.ts";
import {
  configMapShape,
  deploymentShape,
  podShape,
  serviceShape,
  stripManagedFields,
} from "./cache-shape.ts";

// What a list or watch hands back for an object we applied: the object, server metadata, a
// managedFields entry per manager, and (for Deployments) the controller's status. List items
// have no kind/apiVersion.
function fromServer(o: KubernetesObject): KubernetesObject {
  const {
    kind: _k,
    apiVersion: _a,
    ...rest
  } = structuredClone(o) as KubernetesObject & Record<string, unknown>;
  const served = {
    ...rest,
    metadata: {
      ...o.metadata,
      uid: `uid-${o.metadata?.name}`,
      resourceVersion: "42",
      generation: 3,
      creationTimestamp: new Date(0),
      managedFields: [
        { manager: "mull-operator", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: rest },
        { manager: "kube-controller-manager", operation: "Update", subresource: "status" },
      ],
    },
  } as KubernetesObject & Record<string, unknown>;
  if (o.kind === "Deployment") {
    served.status = {
      observedGeneration: 3,
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
    };
  }
  if (o.kind === "Service") served.status = { loadBalancer: {} };
  return served;
}

const shapes: Record<string, (o: KubernetesObject) => KubernetesObject> = {
  Deployment: (o) => deploymentShape(o as V1Deployment),
  Service: serviceShape,
  ConfigMap: configMapShape,
};

test("shaped objects plan exactly as the full ones: no write when nothing changed, the same writes when something did", () => {
  const { objects } = desiredState(examplePolicy());
  const served = objects.map(fromServer);
  const shaped = served.map((o, i) => shapes[objects[i]?.kind ?? ""]?.(o) ?? o);
  const withKinds = served.map((o, i) => ({
    ...o,
    kind: objects[i]?.kind,
    apiVersion: objects[i]?.apiVersion,
  }));
  assert.deepEqual(plan(objects, shaped), { apply: [], prune: [] });

  const changed = desiredState(
    examplePolicy((s) => {
      if (s.bins[0]) s.bins[0].proposer.minReplicas = 2;
      s.bins = s.bins.filter((b) => b.bin !== 3);
    }),
  ).objects;
  const summary = (p: ReturnType<typeof plan>) => ({
    apply: p.apply.map((a) => `${a.reason} ${a.object.kind}/${a.object.metadata?.name}`),
    prune: p.prune.map((o) => `${o.kind}/${o.metadata?.name}`),
  });
  assert.deepEqual(summary(plan(changed, shaped)), summary(plan(changed, withKinds)));
  assert.equal(summary(plan(changed, shaped)).prune.length, 4);
});

test("shapes keep what the reconciler reads and drop managedFields and unread status", () => {
  const { objects } = desiredState(examplePolicy());
  const deployment = objects.find((o) => o.kind === "Deployment") as KubernetesObject;
  const served = fromServer(deployment) as V1Deployment;
  const d = deploymentShape(served);
  assert.equal(d.kind, "Deployment");
  assert.equal(d.apiVersion, "apps/v1");
  assert.equal(d.metadata?.managedFields, undefined);
  assert.deepEqual(d.metadata?.labels, deployment.metadata?.labels);
  assert.deepEqual(d.metadata?.ownerReferences, deployment.metadata?.ownerReferences);
  assert.equal(d.metadata?.generation, 3);
  assert.equal(d.metadata?.resourceVersion, "42");
  assert.deepEqual(d.spec, served.spec);
  assert.deepEqual(d.status, { observedGeneration: 3, readyReplicas: 1, updatedReplicas: 1 });
  assert.ok(JSON.stringify(d).length < JSON.stringify(served).length / 1.5);
  for (const o of objects.filter((x) => x.kind !== "Deployment").map(fromServer)) {
    const kind = o.metadata?.name?.endsWith("-router") ? "ConfigMap" : "Service";
    const s = shapes[kind]?.(o);
    assert.equal(s?.kind, kind);
    assert.equal(s?.metadata?.managedFields, undefined);
    assert.equal((s as { status?: unknown }).status, undefined);
  }
});

test("a Pending pod's shape gives the same scheduler verdict without its spec", () => {
  const pod: V1Pod = {
    metadata: {
      name: "math-b1-proposer-abc",
      namespace: "ns1",
      labels: { "mull.dev/policy": "math" },
      resourceVersion: "9",
      managedFields: [{ manager: "kube-scheduler" }],
    },
    spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai", args: ["serve", "m"] }] },
    status: {
      phase: "Pending",
      qosClass: "Burstable",
      conditions: [
        { type: "PodReadyToStartContainers", status: "False" },
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
        },
      ],
    },
  };
  const shaped = podShape(pod);
  assert.deepEqual(pendingVerdict(shaped), pendingVerdict(pod));
  assert.equal(pendingVerdict(shaped)?.insufficientGpu, true);
  assert.equal(shaped.spec, undefined);
  assert.equal(shaped.metadata?.managedFields, undefined);
  assert.deepEqual(shaped.metadata?.labels, pod.metadata?.labels);
  assert.deepEqual(
    shaped.status?.conditions?.map((c) => c.type),
    ["PodScheduled"],
  );
});

test("stripManagedFields drops managedFields and nothing else; an object without any is returned as is", () => {
  const policy = examplePolicy();
  assert.equal(stripManagedFields(policy), policy);
  const served = {
    ...policy,
    metadata: { ...policy.metadata, managedFields: [{ manager: "kubectl" }] },
  };
  const stripped = stripManagedFields(served);
  assert.deepEqual(stripped, policy);
  assert.deepEqual(served.metadata.managedFields, [{ manager: "kubectl" }], "input left untouched");
});
