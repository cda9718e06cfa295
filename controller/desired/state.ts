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
  // minReplicas until the planner lands; never set in external mode (the autoscaler owns it).
  const external = policy.spec.scaling.mode === "external";
  for (const b of [...policy.spec.bins].sort((x, y) => x.bin - y.bin)) {
    for (const role of roles) {
      const replicas = external ? undefined : b[role].minReplicas;
      const params = { policy, bin: b.bin, role, replicas };
      pools.push({ bin: b.bin, role, replicas, gpusPerReplica: policy.spec[role].gpus });
      objects.push(withSpecHash(desiredDeployment(params)), withSpecHash(desiredService(params)));
    }
  }
  objects.push(withSpecHash(desiredRouterConfig(policy)));
  return { pools, objects };
}
