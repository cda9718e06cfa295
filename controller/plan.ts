// What a reconcile must write: compare desired objects with the observed ones (from the informer
// caches) and list the applies and deletions. An empty plan means the reconcile issues no write.
import type { KubernetesObject } from "@kubernetes/client-node";
import { covers } from "./desired/covers.ts";
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

// The parts of an object we own and someone else may edit: labels, annotations and the payload.
function owned(o: KubernetesObject): unknown {
  const { metadata, ...rest } = o as KubernetesObject & Record<string, unknown>;
  const { apiVersion: _a, kind: _k, ...payload } = rest;
  return { labels: metadata?.labels, annotations: metadata?.annotations, ...payload };
}

/**
 * `observed` holds the objects this policy owns (same kinds as desired). The hash annotation
 * catches every change we made; a field we set that someone else changed (replicas in manual
 * mode, an edited arg, a removed label) is drift, corrected by re-applying. Fields we do not set
 * — spec.replicas in external mode, server defaults — are never compared.
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
    if (!covers(owned(have), owned(want))) apply.push({ object: want, reason: "drift" });
  }
  const wanted = new Set(desired.map(objectKey));
  const prune = observed.filter((o) => !wanted.has(objectKey(o)) && !o.metadata?.deletionTimestamp);
  return { apply, prune };
}
