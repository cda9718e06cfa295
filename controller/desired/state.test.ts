import assert from "node:assert/strict";
import { test } from "node:test";
import { fromJson } from "@bufbuild/protobuf";
import type { V1ConfigMap, V1Deployment, V1Service } from "@kubernetes/client-node";
import { parse } from "yaml";
import { RouterConfigSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { examplePolicy } from "../testing/sample.ts";
import { specHashAnnotation } from "./naming.ts";
import { routerConfigKey } from "./router-config.ts";
import { desiredState } from "./state.ts";

function find<T>(objects: unknown[], kind: string, name: string): T {
  const o = (objects as Array<{ kind: string; metadata: { name: string } }>).find(
    (x) => x.kind === kind && x.metadata.name === name,
  );
  assert.ok(o, `${kind}/${name} missing`);
  return o as T;
}

test("one Deployment and one Service per bin and role, plus the router ConfigMap", () => {
  const { objects, pools } = desiredState(examplePolicy());
  assert.equal(pools.length, 6);
  assert.equal(objects.filter((o) => o.kind === "Deployment").length, 6);
  assert.equal(objects.filter((o) => o.kind === "Service").length, 6);
  find(objects, "ConfigMap", "math-router");
  for (const o of objects) assert.ok(o.metadata?.annotations?.[specHashAnnotation]);
});

test("the verifier runs vllm serve with --runner=pooling, GPU limits, probes and a restricted context", () => {
  const { objects } = desiredState(examplePolicy());
  const d = find<V1Deployment>(objects, "Deployment", "math-b2-verifier");
  const pod = d.spec?.template.spec;
  const c = pod?.containers[0];
  assert.deepEqual(c?.command, ["vllm", "serve"]);
  assert.equal(c?.args?.[0], "Qwen/Qwen2.5-Math-PRM-7B");
  assert.ok(c?.args?.includes("--runner=pooling"));
  assert.equal(c?.resources?.limits?.["nvidia.com/gpu"], "1");
  assert.equal(c?.startupProbe?.httpGet?.path, "/health");
  assert.ok(
    (c?.startupProbe?.failureThreshold ?? 0) * (c?.startupProbe?.periodSeconds ?? 0) >= 1200,
  );
  assert.equal(c?.readinessProbe?.httpGet?.path, "/health");
  assert.equal(c?.livenessProbe?.httpGet?.path, "/health");
  assert.deepEqual(c?.securityContext?.capabilities?.drop, ["ALL"]);
  assert.equal(c?.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(pod?.securityContext?.runAsNonRoot, true);
  assert.equal(pod?.securityContext?.seccompProfile?.type, "RuntimeDefault");
  assert.ok(pod?.volumes?.some((v) => v.name === "dshm" && v.emptyDir?.medium === "Memory"));
  assert.equal(d.spec?.replicas, 1);
  assert.equal(d.metadata?.labels?.["mull.dev/bin"], "2");
  assert.equal(d.metadata?.labels?.["app.kubernetes.io/component"], "verifier");
  assert.equal(d.metadata?.ownerReferences?.[0]?.controller, true);
  assert.equal(d.metadata?.ownerReferences?.[0]?.blockOwnerDeletion, true);
  const proposer = find<V1Deployment>(objects, "Deployment", "math-b2-proposer");
  assert.ok(!proposer.spec?.template.spec?.containers[0]?.args?.includes("--runner=pooling"));
  assert.ok(proposer.spec?.template.spec?.containers[0]?.args?.includes("--max-model-len=4096"));
  const svc = find<V1Service>(objects, "Service", "math-b2-verifier");
  assert.deepEqual(svc.spec?.selector, d.spec?.selector.matchLabels);
});

test("model cache PVC and Hugging Face token Secret are wired in when set", () => {
  const policy = examplePolicy((s) => {
    s.modelCache = { claimName: "models", mountPath: "/models", readOnly: true };
    s.huggingFaceToken = { secretName: "hf", key: "token" };
  });
  const d = find<V1Deployment>(desiredState(policy).objects, "Deployment", "math-b1-proposer");
  const pod = d.spec?.template.spec;
  assert.equal(
    pod?.volumes?.find((v) => v.name === "models")?.persistentVolumeClaim?.claimName,
    "models",
  );
  const token = pod?.containers[0]?.env?.find((e) => e.name === "HF_TOKEN");
  assert.deepEqual(token?.valueFrom?.secretKeyRef, { name: "hf", key: "token" });
});

test("external mode never sets spec.replicas", () => {
  const policy = examplePolicy((s) => {
    s.scaling.mode = "external";
  });
  for (const o of desiredState(policy).objects.filter((x) => x.kind === "Deployment")) {
    assert.equal((o as V1Deployment).spec?.replicas, undefined);
  }
});

test("the hash is stable and moves with the spec", () => {
  const hashOf = (p: ReturnType<typeof examplePolicy>) =>
    find<V1Deployment>(desiredState(p).objects, "Deployment", "math-b1-proposer").metadata
      ?.annotations?.[specHashAnnotation];
  assert.equal(hashOf(examplePolicy()), hashOf(examplePolicy()));
  const scaled = examplePolicy((s) => {
    if (s.bins[0]) s.bins[0].proposer.minReplicas = 2;
  });
  assert.notEqual(hashOf(examplePolicy()), hashOf(scaled));
});

test("the router ConfigMap holds a RouterConfig the proto JSON parser reads back", () => {
  const cm = find<V1ConfigMap>(desiredState(examplePolicy()).objects, "ConfigMap", "math-router");
  const config = fromJson(RouterConfigSchema, parse(cm.data?.[routerConfigKey] ?? ""));
  const snap = config.policies[0];
  assert.equal(snap?.name, "math");
  assert.deepEqual(snap?.thresholds, [0.35, 0.7]);
  assert.equal(snap?.binTable.length, 3);
  assert.equal(snap?.binTable[1]?.levels[1]?.strategy, Strategy.beam);
  assert.deepEqual(snap?.binTable[0]?.proposer?.endpoints, [
    "http://math-b1-proposer.ns1.svc:8000",
  ]);
});
