// Desired state: everything a policy should own, each object stamped with its content hash.
import type { KubernetesObject } from "@kubernetes/client-node";
import { type Role, roles } from "../policy/names.ts";
import type { TestTimePolicy } from "../policy/types.ts";
import { specHash } from "./hash.ts";
import { specHashAnnotation } from "./naming.ts";
import { desiredDeployment, desiredService } from "./pool.ts";
import { desiredRouterConfig } from "./router-config.ts";

export interface DesiredPool {
  bin: number;
  role: Role;
  /** undefined in external mode (the autoscaler decides). */
  replicas: number | undefined;
  gpusPerReplica: number;
}

export interface DesiredState {
  pools: DesiredPool[];
  /** Deployments, Services and the router ConfigMap, each annotated with mull.dev/spec-hash. */
  objects: KubernetesObject[];
}

/** Replicas of a pool: minReplicas until the planner lands; never set in external mode. */
export function desiredReplicas(
  policy: TestTimePolicy,
  bin: number,
  role: Role,
): number | undefined {
  if (policy.spec.scaling.mode === "external") return undefined;
  const spec = policy.spec.bins.find((b) => b.bin === bin);
  return spec ? spec[role].minReplicas : 0;
}

/** Adds the hash of the object's content (without the hash itself) as an annotation. */
export function withSpecHash<T extends KubernetesObject>(obj: T): T {
  const hash = specHash(obj);
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      annotations: { ...obj.metadata?.annotations, [specHashAnnotation]: hash },
    },
  };
}

export function desiredState(policy: TestTimePolicy): DesiredState {
  const pools: DesiredPool[] = [];
  const objects: KubernetesObject[] = [];
  for (const b of [...policy.spec.bins].sort((x, y) => x.bin - y.bin)) {
    for (const role of roles) {
      const replicas = desiredReplicas(policy, b.bin, role);
      const params = { policy, bin: b.bin, role, replicas };
      pools.push({ bin: b.bin, role, replicas, gpusPerReplica: policy.spec[role].gpus });
      objects.push(withSpecHash(desiredDeployment(params)), withSpecHash(desiredService(params)));
    }
  }
  objects.push(withSpecHash(desiredRouterConfig(policy)));
  return { pools, objects };
}
