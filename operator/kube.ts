// The operator's I/O against the API server: informers on policies and on what the operator owns
// (label-selected, so the caches hold only our objects), and the writes (server-side apply with
// field manager mull-operator, deletes, status merge patches).
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Deployment,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import {
  binLabel,
  fieldManager,
  managedSelector,
  policyLabel,
  roleLabel,
} from "../controller/desired/naming.ts";
import * as api from "../controller/policy/names.ts";
import type { TestTimePolicy, TestTimePolicyStatus } from "../controller/policy/types.ts";
import {
  type CacheShape,
  configMapShape,
  deploymentShape,
  podShape,
  serviceShape,
} from "./cache-shape.ts";
import { type ResilientInformer, resilientInformer } from "./informer.ts";
import type { Logger } from "./log.ts";
import type { OperatorMetrics } from "./metrics.ts";
import type { Caches, Writer } from "./reconciler.ts";

export interface ClusterIO {
  caches: Caches;
  writer: Writer;
  informers: ResilientInformer<KubernetesObject>[];
  policies: ResilientInformer<TestTimePolicy>;
}

export interface ClusterIOOptions {
  kubeConfig: KubeConfig;
  /** Watch one namespace only; undefined = all namespaces. */
  namespace: string | undefined;
  log: Logger;
  metrics: OperatorMetrics;
  /** Called with the policy key ("ns/name") whenever a policy or an owned object changes. */
  enqueue: (key: string) => void;
  /** Called with every owned object an event brought into (or out of) the caches. */
  observed?: (obj: KubernetesObject) => void;
}

/**
 * The reconciler's status merge patch. A merge patch replaces the status lists whole, which is
 * what we want: the status is recomputed from scratch each time. Except the alert records: the
 * webhook and the expiry pass write those with resourceVersion (operator/alerts/store.ts); this
 * status comes from the cache and would put back what they just changed, so it leaves them out.
 */
export function reconcilerStatusPatch(status: TestTimePolicyStatus): {
  status: TestTimePolicyStatus;
} {
  const { alerts: _alerts, lastAlert: _lastAlert, ...rest } = status;
  return { status: rest };
}

function nsPath(namespace: string | undefined): string {
  return namespace ? `/namespaces/${namespace}` : "";
}

export function clusterIO(o: ClusterIOOptions): ClusterIO {
  const { kubeConfig, namespace, log, metrics } = o;
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const onRestart = (name: string) => () => metrics.informerRestarts.inc({ informer: name });

  const policyPath = `/apis/${api.group}/${api.version}${nsPath(namespace)}/${api.plural}`;
  const policies = resilientInformer<TestTimePolicy>({
    name: "testtimepolicies",
    kubeConfig,
    path: policyPath,
    list: async () =>
      (namespace
        ? await custom.listNamespacedCustomObject({
            group: api.group,
            version: api.version,
            namespace,
            plural: api.plural,
          })
        : await custom.listClusterCustomObject({
            group: api.group,
            version: api.version,
            plural: api.plural,
          })) as KubernetesListObject<TestTimePolicy>,
    onChange: (p) => o.enqueue(`${p.metadata.namespace}/${p.metadata.name}`),
    log,
    onRestart: onRestart("testtimepolicies"),
  });

  // Owned objects map back to their policy through the mull.dev/policy label.
  const policyKey = (obj: KubernetesObject) => {
    const policy = obj.metadata?.labels?.[policyLabel];
    return policy && obj.metadata?.namespace ? `${obj.metadata.namespace}/${policy}` : undefined;
  };
  const toOwner = (obj: KubernetesObject) => {
    o.observed?.(obj);
    const key = policyKey(obj);
    if (key) o.enqueue(key);
  };
  const labelSelector = managedSelector;
  const ownedInformer = <T extends KubernetesObject>(
    name: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    transform: CacheShape<T>,
    fieldSelector?: string,
  ) =>
    resilientInformer<T>({
      name,
      kubeConfig,
      path,
      list,
      transform,
      indexBy: policyKey,
      labelSelector,
      ...(fieldSelector ? { fieldSelector } : {}),
      onChange: toOwner,
      log,
      onRestart: onRestart(name),
    });
  const deployments = ownedInformer<V1Deployment>(
    "deployments",
    `/apis/apps/v1${nsPath(namespace)}/deployments`,
    () =>
      namespace
        ? apps.listNamespacedDeployment({ namespace, labelSelector })
        : apps.listDeploymentForAllNamespaces({ labelSelector }),
    deploymentShape,
  );
  const services = ownedInformer<V1Service>(
    "services",
    `/api/v1${nsPath(namespace)}/services`,
    () =>
      namespace
        ? core.listNamespacedService({ namespace, labelSelector })
        : core.listServiceForAllNamespaces({ labelSelector }),
    serviceShape,
  );
  const configMaps = ownedInformer<V1ConfigMap>(
    "configmaps",
    `/api/v1${nsPath(namespace)}/configmaps`,
    () =>
      namespace
        ? core.listNamespacedConfigMap({ namespace, labelSelector })
        : core.listConfigMapForAllNamespaces({ labelSelector }),
    configMapShape,
  );
  // Only Pending pods say anything the status needs (why a pool is short of GPUs); caching just
  // those keeps memory flat however many pods run.
  const podSelector = "status.phase=Pending";
  const pods = ownedInformer<V1Pod>(
    "pods",
    `/api/v1${nsPath(namespace)}/pods`,
    () =>
      namespace
        ? core.listNamespacedPod({ namespace, labelSelector, fieldSelector: podSelector })
        : core.listPodForAllNamespaces({ labelSelector, fieldSelector: podSelector }),
    podShape,
    podSelector,
  );

  const ownedBy = (policy: string, uid: string) => (obj: KubernetesObject) =>
    obj.metadata?.labels?.[policyLabel] === policy &&
    (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === uid && r.controller);

  const caches: Caches = {
    policy: (ns, name) => {
      const p = policies.get(name, ns);
      return p ? { ...p, apiVersion: api.apiVersion, kind: api.kind } : undefined;
    },
    // The cache shapes stamped kind and apiVersion, which plan() keys objects by.
    owned: (ns, policy, uid) => {
      const mine = ownedBy(policy, uid);
      const key = `${ns}/${policy}`;
      return [
        ...deployments.byIndex(key).filter(mine),
        ...services.byIndex(key).filter(mine),
        ...configMaps.byIndex(key).filter(mine),
      ];
    },
    deployment: (ns, name) => deployments.get(name, ns),
    pods: (ns, policy, bin, role) =>
      pods
        .byIndex(`${ns}/${policy}`)
        .filter(
          (p) =>
            p.metadata?.labels?.[binLabel] === String(bin) &&
            p.metadata?.labels?.[roleLabel] === role,
        ),
  };

  const writer: Writer = {
    async apply(obj) {
      metrics.writes.inc({ verb: "apply", kind: obj.kind ?? "" });
      await objects.patch(
        obj,
        undefined,
        undefined,
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
    },
    async delete(obj) {
      metrics.writes.inc({ verb: "delete", kind: obj.kind ?? "" });
      const name = obj.metadata?.name ?? "";
      const ns = obj.metadata?.namespace ?? "";
      const propagationPolicy = "Background";
      if (obj.kind === "Deployment") {
        await apps.deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy });
      } else if (obj.kind === "Service") {
        await core.deleteNamespacedService({ name, namespace: ns, propagationPolicy });
      } else if (obj.kind === "ConfigMap") {
        await core.deleteNamespacedConfigMap({ name, namespace: ns, propagationPolicy });
      } else {
        throw new Error(`cannot prune kind ${obj.kind}`);
      }
    },
    async patchStatus(policy, status) {
      metrics.writes.inc({ verb: "status", kind: api.kind });
      await custom.patchNamespacedCustomObjectStatus(
        {
          group: api.group,
          version: api.version,
          namespace: policy.metadata.namespace,
          plural: api.plural,
          name: policy.metadata.name,
          body: reconcilerStatusPatch(status),
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    },
  };

  return {
    caches,
    writer,
    policies,
    informers: [
      policies,
      deployments,
      services,
      configMaps,
      pods,
    ] as ResilientInformer<KubernetesObject>[],
  };
}
