// What the informer caches keep of each object: only what the reconciler reads. Every object of
// ours sits in memory for the life of the process, and most of its bytes are fields nobody reads:
// `managedFields` (a second copy of the applied spec, once per field manager), Deployment
// conditions, the whole pod spec. Each shape runs on list results and watch events before
// client-node stores them (see `transform` in informer.ts), as controller-runtime's cache
// transforms do (TransformStripManagedFields). The shapes also stamp kind and apiVersion, which
// list items lack and plan() keys objects by.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1ObjectMeta,
  V1Pod,
  V1Service,
} from "@kubernetes/client-node";

export type CacheShape<T extends KubernetesObject> = (obj: T) => T;

/** The object's metadata without `managedFields`; everything else in metadata is kept. */
function leanMetadata(metadata: V1ObjectMeta | undefined): V1ObjectMeta | undefined {
  if (!metadata) return metadata;
  const { managedFields: _dropped, ...rest } = metadata;
  return rest;
}

/** controller-runtime's TransformStripManagedFields: the default for any informer. */
export function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  return { ...obj, metadata: leanMetadata(obj.metadata) };
}

/**
 * Spec, labels and annotations stay (plan() compares them to catch drift); of the status, only
 * what a pool's readiness and rollout are computed from.
 */
export function deploymentShape(d: V1Deployment): V1Deployment {
  const s = d.status;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: leanMetadata(d.metadata),
    spec: d.spec,
    ...(s
      ? {
          status: {
            observedGeneration: s.observedGeneration,
            readyReplicas: s.readyReplicas,
            updatedReplicas: s.updatedReplicas,
          },
        }
      : {}),
  } as V1Deployment;
}

/** The spec is compared for drift; a Service's status (load balancer ingress) is never read. */
export function serviceShape(s: V1Service): V1Service {
  return { apiVersion: "v1", kind: "Service", metadata: leanMetadata(s.metadata), spec: s.spec };
}

export function configMapShape(c: V1ConfigMap): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: leanMetadata(c.metadata),
    ...(c.data ? { data: c.data } : {}),
    ...(c.binaryData ? { binaryData: c.binaryData } : {}),
  };
}

/**
 * A Pending pod matters only for the scheduler's verdict (controller/pods.ts): its phase and its
 * PodScheduled condition. The spec (containers, volumes, probes) is the bulk and is never read.
 */
export function podShape(p: V1Pod): V1Pod {
  const scheduled = p.status?.conditions?.filter((c) => c.type === "PodScheduled");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: leanMetadata(p.metadata),
    status: {
      phase: p.status?.phase,
      ...(scheduled?.length ? { conditions: scheduled } : {}),
    },
  } as V1Pod;
}
