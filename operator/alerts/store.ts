// Where the webhook and the expiry pass read and write a policy's alert records: the API server
// itself, never the informer cache (which may lag a write made a moment ago). Writes go to the
// status subresource as a merge patch carrying metadata.resourceVersion, so a write based on a
// policy that changed meanwhile is a 409 (retried on a fresh read), never a lost update. Each
// call has a deadline: an API server that accepts the connection and never answers (frozen,
// partitioned) must become a 503 the sender retries, not a request held open for ever.
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import * as api from "../../controller/policy/names.ts";
import type { AlertsStatus, LastAlert, TestTimePolicy } from "../../controller/policy/types.ts";
import type { OperatorMetrics } from "../metrics.ts";

export interface PolicyStore {
  /** The policy as the API server has it now (not a cache); undefined when there is none. Throws when it cannot tell. */
  get(namespace: string, name: string): Promise<TestTimePolicy | undefined>;
  /**
   * Sets status.alerts (and status.lastAlert unless undefined) if the policy is still at the
   * resourceVersion it was read with; false when it is not (409) or has gone (404).
   */
  writeAlerts(
    policy: TestTimePolicy,
    alerts: AlertsStatus,
    lastAlert: LastAlert | undefined,
  ): Promise<boolean>;
}

/** A merge patch merges objects key by key: a key the new lastAlert lacks must be nulled. */
const lastAlertKeys = [
  "time",
  "source",
  "alertname",
  "action",
  "bin",
  "role",
  "result",
  "message",
] as const;

export function alertsPatch(
  policy: TestTimePolicy,
  alerts: AlertsStatus,
  lastAlert: LastAlert | undefined,
): Record<string, unknown> {
  const last = lastAlert
    ? Object.fromEntries(lastAlertKeys.map((k) => [k, lastAlert[k] ?? null]))
    : undefined;
  return {
    metadata: { resourceVersion: policy.metadata.resourceVersion },
    status: {
      alerts: { overrides: alerts.overrides ?? [], steps: alerts.steps ?? [] },
      ...(last ? { lastAlert: last } : {}),
    },
  };
}

const code = (err: unknown) => (err as { code?: number }).code;

/**
 * How long one read or write of the API server may take. A healthy one answers in milliseconds;
 * past this the sender gets its 503 while it still waits for an answer, and retries.
 */
export const apiDeadlineMs = 5_000;

/**
 * `p`, or a rejection once `ms` have passed. The call itself is not cancelled: a write that lands
 * after the sender was told 503 is found by its retry (the same fingerprint@startsAt) as a duplicate.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: the API server did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function kubePolicyStore(
  kubeConfig: KubeConfig,
  metrics: OperatorMetrics,
  deadlineMs = apiDeadlineMs,
): PolicyStore {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async get(namespace, name) {
      // A list narrowed to the one name rather than a get: the operator's RBAC grants list (the
      // informers) and no get, and a list without resourceVersion is a quorum read all the same.
      const list = (await withDeadline(
        custom.listNamespacedCustomObject({
          group: api.group,
          version: api.version,
          namespace,
          plural: api.plural,
          fieldSelector: `metadata.name=${name}`,
        }),
        deadlineMs,
        `list ${api.plural} ${namespace}/${name}`,
      )) as KubernetesListObject<TestTimePolicy>;
      const p = list.items.find((x) => x.metadata?.name === name);
      return p ? { ...p, apiVersion: api.apiVersion, kind: api.kind } : undefined;
    },
    async writeAlerts(policy, alerts, lastAlert) {
      metrics.writes.inc({ verb: "status", kind: api.kind });
      try {
        await withDeadline(
          custom.patchNamespacedCustomObjectStatus(
            {
              group: api.group,
              version: api.version,
              namespace: policy.metadata.namespace,
              plural: api.plural,
              name: policy.metadata.name,
              body: alertsPatch(policy, alerts, lastAlert),
            },
            setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
          ),
          deadlineMs,
          `patch the status of ${policy.metadata.namespace}/${policy.metadata.name}`,
        );
        return true;
      } catch (err) {
        if (code(err) === 409 || code(err) === 404) return false;
        throw err;
      }
    },
  };
}
