// Fake GPU nodes. kwok (run with --manage-all-nodes) keeps any Node we create Ready and plays
// kubelet for pods bound to it, so the scheduler sees real capacity: nvidia.com/gpu in
// status.capacity/allocatable, counted by NodeResourcesFit like on a real GPU node.
import { CoreV1Api, type KubeConfig, type V1Node, type V1Taint } from "@kubernetes/client-node";
import type { GpuNodeConfig } from "./state.ts";

export const GPU_RESOURCE = "nvidia.com/gpu";
/** Which pool a node belongs to: "default" for cluster:up's nodes, a test's name for its own. */
export const POOL_LABEL = "mull.dev/e2e-pool";
export const DEFAULT_POOL = "default";

/** Node config from MULL_E2E_GPU_NODES, MULL_E2E_GPUS_PER_NODE and MULL_E2E_GPU_PRODUCT. */
export function gpuConfigFromEnv(env = process.env): GpuNodeConfig {
  const int = (name: string, def: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${name} must be a whole number, got ${raw}`);
    return n;
  };
  return {
    nodes: int("MULL_E2E_GPU_NODES", 2),
    gpusPerNode: int("MULL_E2E_GPUS_PER_NODE", 4),
    product: env.MULL_E2E_GPU_PRODUCT || "NVIDIA-H100-80GB-HBM3",
  };
}

export interface GpuNodeSpec {
  name: string;
  pool: string;
  gpus: number;
  product: string;
  taints?: V1Taint[];
}

export function gpuNode(s: GpuNodeSpec): V1Node {
  const resources = {
    cpu: "64",
    memory: "512Gi",
    pods: "110",
    "ephemeral-storage": "1Ti",
    [GPU_RESOURCE]: String(s.gpus),
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: s.name,
      labels: {
        "kubernetes.io/hostname": s.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
        [POOL_LABEL]: s.pool,
        // The labels NVIDIA's GPU feature discovery puts on real nodes.
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.product": s.product,
        "nvidia.com/gpu.count": String(s.gpus),
      },
      annotations: { "kwok.x-k8s.io/node": "fake" },
    },
    spec: { taints: s.taints },
    status: { capacity: resources, allocatable: resources },
  };
}

export async function createNodes(kc: KubeConfig, nodes: V1Node[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const body of nodes) await core.createNode({ body });
}

export async function deleteNodes(kc: KubeConfig, names: string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of names) {
    try {
      await core.deleteNode({ name });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

/** Resolves once every named node reports Ready=True (kwok's node-initialize stage did its job). */
export async function nodesReady(kc: KubeConfig, names: string[]): Promise<boolean> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNode();
  const ready = new Set(
    list.items
      .filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
      .map((n) => n.metadata?.name),
  );
  return names.every((n) => ready.has(n));
}
