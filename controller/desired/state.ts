// Desired state: everything a policy should own, each object stamped with its content hash.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { alertEffect, overriddenMaxLevel, overriddenReplicas, poolKey } from "../alerts/effect.ts";
import type { PlannerOutput } from "../planner/planner.ts";
import { type Role, roles } from "../policy/names.ts";
import type { TestTimePolicy } from "../policy/types.ts";
import { specHash } from "./hash.ts";
import { specHashAnnotation } from "./naming.ts";
import { desiredDeployment, desiredService } from "./pool.ts";
import { desiredRouterConfig, policySnapshot, type SnapshotInputs } from "./router-config.ts";

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
  /** What routers serve: the ConfigMap's content (and what goes on the bus). */
  snapshot: PolicySnapshot;
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

export interface DesiredInputs extends SnapshotInputs {
  /**
   * The planner's last step. Its replicas count in planner mode only; its levels in planner and
   * external modes. The alert overrides in status.alerts apply on top (controller/alerts).
   */
  plan?: PlannerOutput;
}

export function desiredState(policy: TestTimePolicy, inputs: DesiredInputs = {}): DesiredState {
  const pools: DesiredPool[] = [];
  const objects: KubernetesObject[] = [];
  const mode = policy.spec.scaling.mode;
  const { plan } = inputs;
  const planned = (bin: number, role: Role) =>
    plan?.pools.find((p) => p.bin === bin && p.role === role)?.replicas;
  const minReplicas = (bin: number, role: Role) =>
    policy.spec.bins.find((b) => b.bin === bin)?.[role].minReplicas ?? 0;
  // manual, or planner before its first step: minReplicas; then the alert overrides in force
  // (status.alerts) on top, within the pools' bounds and the GPU budget.
  const effect = alertEffect(policy);
  const sized = overriddenReplicas(
    policy,
    (bin, role) =>
      mode === "planner" ? (planned(bin, role) ?? minReplicas(bin, role)) : minReplicas(bin, role),
    effect,
  );
  for (const b of [...policy.spec.bins].sort((x, y) => x.bin - y.bin)) {
    for (const role of roles) {
      // external: never set (the autoscaler owns it).
      const replicas = mode === "external" ? undefined : sized.get(poolKey(b.bin, role));
      const params = { policy, bin: b.bin, role, replicas };
      pools.push({ bin: b.bin, role, replicas, gpusPerReplica: policy.spec[role].gpus });
      objects.push(withSpecHash(desiredDeployment(params)), withSpecHash(desiredService(params)));
    }
  }
  const levels = mode === "manual" ? undefined : plan?.maxLevels;
  const cap =
    inputs.maxLevel ??
    (levels ? (bin: number) => levels.find((l) => l.bin === bin)?.maxLevel : undefined);
  // budget_* alerts move the cap (or, uncapped, the nominal level) of their bin.
  const maxLevel = (bin: number) => {
    const b = policy.spec.bins.find((x) => x.bin === bin);
    const c = cap?.(bin);
    return b ? overriddenMaxLevel(policy, b, c, effect.levelDelta(bin)) : c;
  };
  const snapshot = policySnapshot(policy, {
    maxLevel,
    ...(inputs.readyReplicas ? { readyReplicas: inputs.readyReplicas } : {}),
    ...(inputs.chatTemplate !== undefined ? { chatTemplate: inputs.chatTemplate } : {}),
  });
  objects.push(withSpecHash(desiredRouterConfig(policy, snapshot)));
  return { pools, objects, snapshot };
}
