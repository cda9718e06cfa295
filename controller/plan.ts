// What a reconcile must write: compare desired objects with the observed ones (from the informer
// caches) and list the applies and deletions. An empty plan means the reconcile issues no write.
import type { KubernetesObject } from "@kubernetes/client-node";
import { specHashAnnotation } from "./desired/naming.ts";

export type ApplyReason = "create" | "update" | "drift";

export interface PlannedApply {
  object: KubernetesObject;
  reason: ApplyReason;
}

export interface Plan {
  apply: PlannedApply[];
  /** Owned objects no longer desired (e.g. the pools of a removed bin). */
  prune: KubernetesObject[];
}

export function objectKey(o: KubernetesObject): string {
  return `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

function replicasOf(o: KubernetesObject): number | undefined {
  return (o as { spec?: { replicas?: number } }).spec?.replicas;
}

/**
 * `observed` holds the objects this policy owns (same kinds as desired). The hash annotation
 * catches every change we made; for Deployments whose replicas we own, a replica count changed by
 * someone else is drift, corrected by re-applying. Other hand edits are not chased: the operator
 * is level-triggered on its own inputs, and the next spec change re-asserts everything.
 */
export function plan(desired: KubernetesObject[], observed: KubernetesObject[]): Plan {
  const byKey = new Map(observed.map((o) => [objectKey(o), o]));
  const apply: PlannedApply[] = [];
  for (const want of desired) {
    const have = byKey.get(objectKey(want));
    if (!have) {
      apply.push({ object: want, reason: "create" });
      continue;
    }
    const wantHash = want.metadata?.annotations?.[specHashAnnotation];
    if (have.metadata?.annotations?.[specHashAnnotation] !== wantHash) {
      apply.push({ object: want, reason: "update" });
      continue;
    }
    const wantReplicas = replicasOf(want);
    if (
      want.kind === "Deployment" &&
      wantReplicas !== undefined &&
      replicasOf(have) !== wantReplicas
    ) {
      apply.push({ object: want, reason: "drift" });
    }
  }
  const wanted = new Set(desired.map(objectKey));
  const prune = observed.filter((o) => !wanted.has(objectKey(o)) && !o.metadata?.deletionTimestamp);
  return { apply, prune };
}
