// One pool = one (bin, role): a Deployment of vLLM replicas and a Service in front of them.
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1OwnerReference,
  V1Probe,
  V1Service,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { Role } from "../policy/names.ts";
import type { ModelServer, TestTimePolicy, Verifier } from "../policy/types.ts";
import { chatTemplateVolume, proposerFormatArgs, verifierFormatArgs } from "./format-args.ts";
import { poolLabels, poolName, selectorLabels, servingPort } from "./naming.ts";

export const gpuResource = "nvidia.com/gpu";
/** Where /tmp and $HOME live: vLLM and its libraries write caches there, and we run non-root. */
const scratchPath = "/tmp";
const defaultModelPath = "/models";
const nonRootUid = 1000;

export interface PoolParams {
  policy: TestTimePolicy;
  bin: number;
  role: Role;
  /** undefined in external mode: HPA/KEDA own spec.replicas, so the apply must not mention it. */
  replicas: number | undefined;
}

export function ownerReference(policy: TestTimePolicy): V1OwnerReference {
  return {
    apiVersion: policy.apiVersion,
    kind: policy.kind,
    name: policy.metadata.name,
    uid: policy.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

function server(policy: TestTimePolicy, role: Role): ModelServer | Verifier {
  return role === "proposer" ? policy.spec.proposer : policy.spec.verifier;
}

/** `vllm serve <model>` arguments: ours first, the user's last so that they win. */
export function vllmArgs(s: ModelServer | Verifier, role: Role): string[] {
  const user = s.args ?? [];
  // The CRD's CEL rule says the same at admission; this covers a policy that reached the
  // controller another way (an older CRD, a test). STEP pooling must see every token it scores.
  if (role === "verifier" && user.some((a) => a.startsWith("--enable-prefix-caching"))) {
    throw new Error(
      "spec.verifier.args: prefix caching must stay off on a verifier (vLLM's STEP pooler scores only the tokens it computes)",
    );
  }
  const args = [s.model, "--host=0.0.0.0", `--port=${servingPort}`];
  if (s.servedModelName) args.push(`--served-model-name=${s.servedModelName}`);
  if (role === "verifier") args.push("--runner=pooling", ...verifierFormatArgs(s as Verifier));
  else args.push(...proposerFormatArgs(s));
  const mentions = (flag: string) => user.some((a) => a === flag || a.startsWith(`${flag}=`));
  if (s.gpus > 1 && !mentions("--tensor-parallel-size") && !mentions("-tp")) {
    args.push(`--tensor-parallel-size=${s.gpus}`);
  }
  return [...args, ...user];
}

function probe(periodSeconds: number, failureThreshold: number): V1Probe {
  return {
    httpGet: { path: "/health", port: "http" },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 5,
  };
}

function resources(s: ModelServer | Verifier): V1Container["resources"] {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.resources?.requests ?? {})) requests[k] = String(v);
  for (const [k, v] of Object.entries(s.resources?.limits ?? {})) limits[k] = String(v);
  if (s.gpus > 0) {
    // Extended resources must have requests == limits; setting both keeps that explicit.
    requests[gpuResource] = String(s.gpus);
    limits[gpuResource] = String(s.gpus);
  }
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

// The name the container's user goes by (USER, LOGNAME): it has no passwd entry.
const containerUser = "vllm";
const shmSizeLimit = "20Gi";

function volumesAndMounts(policy: TestTimePolicy): {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
} {
  const cache = policy.spec.modelCache;
  const modelPath = cache?.mountPath ?? defaultModelPath;
  return {
    volumes: [
      // vLLM's workers share tensors through /dev/shm; the container default (64Mi) is too small.
      // Bounded (as llm-d bounds it): a memory emptyDir counts against the node's memory.
      { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: shmSizeLimit } },
      { name: "tmp", emptyDir: {} },
      cache
        ? {
            name: "models",
            persistentVolumeClaim: { claimName: cache.claimName, readOnly: cache.readOnly },
          }
        : { name: "models", emptyDir: {} },
    ],
    mounts: [
      { name: "dshm", mountPath: "/dev/shm" },
      { name: "tmp", mountPath: scratchPath },
      { name: "models", mountPath: modelPath, ...(cache?.readOnly ? { readOnly: true } : {}) },
    ],
  };
}

function env(policy: TestTimePolicy, s: ModelServer | Verifier): V1EnvVar[] {
  const out: V1EnvVar[] = [
    { name: "HOME", value: scratchPath },
    { name: "HF_HOME", value: policy.spec.modelCache?.mountPath ?? defaultModelPath },
    { name: "VLLM_NO_USAGE_STATS", value: "1" },
    // The vLLM image has no passwd entry for our UID, and torch 2.8 (vLLM 0.11's) dies on import
    // in getpass.getuser() without one unless USER or LOGNAME names the user.
    { name: "USER", value: containerUser },
    { name: "LOGNAME", value: containerUser },
  ];
  // A read-only cache cannot take downloads: without this the hub client still tries to write.
  if (policy.spec.modelCache?.readOnly) out.push({ name: "HF_HUB_OFFLINE", value: "1" });
  const token = policy.spec.huggingFaceToken;
  if (token) {
    out.push({
      name: "HF_TOKEN",
      valueFrom: { secretKeyRef: { name: token.secretName, key: token.key } },
    });
  }
  // vLLM reads its --api-key from VLLM_API_KEY too; the env keeps the key out of the pod's args.
  const apiKey = s.apiKeySecretRef;
  if (apiKey) {
    out.push({
      name: "VLLM_API_KEY",
      valueFrom: { secretKeyRef: { name: apiKey.name, key: apiKey.key } },
    });
  }
  for (const e of s.env ?? []) out.push(e as V1EnvVar);
  return out;
}

export function desiredDeployment(p: PoolParams): V1Deployment {
  const { policy, bin, role } = p;
  const s = server(policy, role);
  const name = poolName(policy.metadata.name, bin, role);
  const labels = poolLabels(policy.metadata.name, bin, role);
  const { volumes, mounts } = volumesAndMounts(policy);
  const template = role === "proposer" ? chatTemplateVolume(policy.spec.proposer) : undefined;
  if (template) {
    volumes.push(template.volume);
    mounts.push(template.mount);
  }
  const container: V1Container = {
    name: "vllm",
    image: s.image,
    command: ["vllm", "serve"],
    args: vllmArgs(s, role),
    ports: [{ name: "http", containerPort: servingPort, protocol: "TCP" }],
    env: env(policy, s),
    resources: resources(s),
    volumeMounts: mounts,
    // Loading weights (and downloading them on a cold cache) can take many minutes: the startup
    // probe allows 30 min (180 x 10s) before liveness starts judging the server.
    startupProbe: probe(10, 180),
    readinessProbe: probe(5, 3),
    livenessProbe: probe(10, 3),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      // Not readOnlyRootFilesystem: vLLM, torch and triton write compile caches in places that
      // vary by version; /tmp and the model cache are separate volumes anyway.
    },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: policy.metadata.namespace,
      labels,
      ownerReferences: [ownerReference(policy)],
    },
    spec: {
      ...(p.replicas === undefined ? {} : { replicas: p.replicas }),
      selector: { matchLabels: selectorLabels(policy.metadata.name, bin, role) },
      revisionHistoryLimit: 3,
      // GPUs are the scarce resource: roll one replica at a time without a surge pod that would
      // need GPUs the fleet does not have.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          containers: [container],
          volumes,
          // A Service named vllm would inject VLLM_PORT=tcp://…, which vLLM refuses to start with.
          enableServiceLinks: false,
          ...(s.nodeSelector ? { nodeSelector: s.nodeSelector } : {}),
          ...(s.tolerations ? { tolerations: s.tolerations as V1Toleration[] } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: nonRootUid,
            runAsGroup: nonRootUid,
            fsGroup: nonRootUid,
            seccompProfile: { type: "RuntimeDefault" },
          },
          terminationGracePeriodSeconds: 30,
        },
      },
    },
  };
}

export function desiredService(p: PoolParams): V1Service {
  const { policy, bin, role } = p;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: poolName(policy.metadata.name, bin, role),
      namespace: policy.metadata.namespace,
      labels: poolLabels(policy.metadata.name, bin, role),
      ownerReferences: [ownerReference(policy)],
    },
    spec: {
      // Headless: DNS returns every ready replica, and the router does its own endpoint picking
      // (least outstanding, per-request affinity); it also spends no ClusterIP per pool, which
      // matters at 2,000 pools.
      clusterIP: "None",
      selector: selectorLabels(policy.metadata.name, bin, role),
      ports: [{ name: "http", port: servingPort, targetPort: "http", protocol: "TCP" }],
    },
  };
}
