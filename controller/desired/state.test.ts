import assert from "node:assert/strict";
import { test } from "node:test";
import { fromJson } from "@bufbuild/protobuf";
import type { V1ConfigMap, V1Deployment, V1Service } from "@kubernetes/client-node";
import { parse } from "yaml";
import { RouterConfigSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { step } from "../planner/planner.ts";
import { emptyState } from "../planner/state.ts";
import { examplePolicy, plannablePolicy } from "../testing/sample.ts";
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

test("served model name and API key: vLLM's flag and env, the router's model and key file", () => {
  const policy = examplePolicy((s) => {
    s.proposer.servedModelName = "qwen-math";
    s.proposer.apiKeySecretRef = { name: "vllm-key", key: "token" };
    s.verifier.apiKeySecretRef = { name: "prm-key", key: "api-key" };
  });
  const { objects } = desiredState(policy);
  const proposer = find<V1Deployment>(objects, "Deployment", "math-b1-proposer").spec?.template.spec
    ?.containers[0];
  assert.ok(proposer?.args?.includes("--served-model-name=qwen-math"));
  assert.ok(!proposer?.args?.some((a) => a.startsWith("--api-key")), "the key stays out of args");
  const env = (c: typeof proposer) => c?.env?.find((e) => e.name === "VLLM_API_KEY");
  assert.deepEqual(env(proposer)?.valueFrom?.secretKeyRef, { name: "vllm-key", key: "token" });
  const verifier = find<V1Deployment>(objects, "Deployment", "math-b1-verifier").spec?.template.spec
    ?.containers[0];
  assert.ok(!verifier?.args?.some((a) => a.startsWith("--served-model-name")));
  assert.deepEqual(env(verifier)?.valueFrom?.secretKeyRef, { name: "prm-key", key: "api-key" });

  const cm = find<V1ConfigMap>(objects, "ConfigMap", "math-router");
  const config = fromJson(RouterConfigSchema, parse(cm.data?.[routerConfigKey] ?? ""));
  const bin = config.policies[0]?.binTable[0];
  assert.equal(bin?.proposer?.model, "qwen-math");
  assert.equal(bin?.proposer?.apiKeyFile, "/var/run/secrets/mull/api-keys/vllm-key/token");
  assert.equal(bin?.verifier?.model, policy.spec.verifier.model);
  assert.equal(bin?.verifier?.apiKeyFile, "/var/run/secrets/mull/api-keys/prm-key/api-key");
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

test("the plan's replicas count in planner mode only; its levels in planner and external modes", () => {
  const planned = (mode: "planner" | "manual" | "external") => {
    const policy = plannablePolicy(mode, { gpus: 10, maxReplicas: 4 });
    const plan = step(emptyState(), {
      spec: policy.spec,
      demand: [
        {
          bin: 2,
          requestsPerSecond: 3,
          proposerTokensPerRequest: 2000,
          verifierTokensPerRequest: 2000,
        },
      ],
      now: 0,
    });
    const d = desiredState(policy, { plan });
    const replicas = d.objects
      .filter((o): o is V1Deployment => o.kind === "Deployment")
      .map((o) => [o.metadata?.name, o.spec?.replicas]);
    const cm = find<V1ConfigMap>(d.objects, "ConfigMap", "math-router");
    const config = fromJson(RouterConfigSchema, parse(cm.data?.[routerConfigKey] ?? ""));
    const levels = config.policies[0]?.binTable.map((b) => b.maxLevel);
    return { replicas, levels, plan };
  };
  const p = planned("planner");
  // Bin 2 wants 4 + 4 GPUs at level 1 (its max); with 10 GPUs for three bins it gets level 0
  // (a quarter of the generations: 3 + 3), the idle bins keep their top levels.
  assert.equal(p.plan.budgetLimited, true);
  assert.deepEqual(p.levels, [1, 0, 0]);
  assert.deepEqual(
    p.replicas.find(([n]) => n === "math-b2-proposer"),
    ["math-b2-proposer", 3],
  );
  const m = planned("manual");
  assert.ok(
    m.replicas.every(([, r]) => r === 1),
    "manual keeps minReplicas",
  );
  assert.deepEqual(m.levels, [undefined, undefined, undefined], "manual publishes no caps");
  const e = planned("external");
  assert.ok(
    e.replicas.every(([, r]) => r === undefined),
    "external never sets replicas",
  );
  assert.deepEqual(e.levels, p.levels, "external still publishes the levels");
});

test("the snapshot carries the pools' readiness when the operator knows it, in the ConfigMap too", () => {
  const d = desiredState(examplePolicy(), {
    readyReplicas: (bin, role) => (bin === 3 ? 0 : role === "proposer" ? 2 : 1),
  });
  assert.deepEqual(
    d.snapshot.binTable.map((b) => [b.bin, b.proposer?.readyReplicas, b.verifier?.readyReplicas]),
    [
      [1, 2, 1],
      [2, 2, 1],
      [3, 0, 0],
    ],
  );
  const cm = find<V1ConfigMap>(d.objects, "ConfigMap", "math-router");
  const config = fromJson(RouterConfigSchema, parse(cm.data?.[routerConfigKey] ?? ""));
  assert.equal(config.policies[0]?.binTable[2]?.proposer?.readyReplicas, 0);
  // Without the input nothing is claimed: readiness unknown.
  assert.equal(
    desiredState(examplePolicy()).snapshot.binTable[0]?.proposer?.readyReplicas,
    undefined,
  );
});

test("vLLM pods start on the real image: USER and LOGNAME, no service links, a bounded /dev/shm", () => {
  for (const readOnly of [false, true]) {
    const policy = examplePolicy((s) => {
      s.modelCache = { claimName: "models", mountPath: "/models", readOnly };
    });
    for (const d of desiredState(policy).objects.filter((o) => o.kind === "Deployment")) {
      const pod = (d as V1Deployment).spec?.template.spec;
      const env = new Map(pod?.containers[0]?.env?.map((e) => [e.name, e.value]));
      // torch 2.8 calls getpass.getuser(), which needs USER or LOGNAME without a passwd entry.
      assert.ok(env.get("USER"), "USER");
      assert.equal(env.get("LOGNAME"), env.get("USER"));
      assert.equal(pod?.enableServiceLinks, false, "no VLLM_PORT=tcp://… from a Service");
      const shm = pod?.volumes?.find((v) => v.name === "dshm")?.emptyDir;
      assert.equal(shm?.medium, "Memory");
      assert.ok(shm?.sizeLimit, "/dev/shm has a sizeLimit");
      assert.equal(env.get("HF_HUB_OFFLINE"), readOnly ? "1" : undefined, `readOnly ${readOnly}`);
    }
  }
});

test("a verifier with prefix caching is refused, naming the field; a proposer may use it", () => {
  const verifier = examplePolicy((s) => {
    s.verifier.args = ["--enable-prefix-caching"];
  });
  assert.throws(() => desiredState(verifier), /spec\.verifier\.args: prefix caching/);
  const proposer = examplePolicy((s) => {
    s.proposer.args = ["--enable-prefix-caching"];
  });
  assert.doesNotThrow(() => desiredState(proposer));
});
