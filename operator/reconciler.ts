// Reconcile one policy, controller-runtime style: read the policy and what it owns from the
// informer caches, compute desired state and status (controller/, pure), and write only the
// difference: server-side applies for changed objects, deletes for pruned pools, and a status
// patch only when the status changed. A policy whose world matches its spec costs zero writes.
import type { KubernetesObject, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { findCondition } from "../controller/conditions.ts";
import { chatTemplateText, routerChatTemplateRef } from "../controller/desired/format-args.ts";
import { canonicalJson } from "../controller/desired/hash.ts";
import { poolName, specHashAnnotation } from "../controller/desired/naming.ts";
import { desiredState } from "../controller/desired/state.ts";
import { objectKey, plan } from "../controller/plan.ts";
import { scalingEvent } from "../controller/planner/scaling-event.ts";
import { decodeState } from "../controller/planner/state.ts";
import { pendingVerdict } from "../controller/pods.ts";
import type { Role } from "../controller/policy/names.ts";
import type { TestTimePolicy, TestTimePolicyStatus } from "../controller/policy/types.ts";
import { reconcileEvent } from "../controller/reconcile-event.ts";
import { computeStatus, type ObservedPool } from "../controller/status.ts";
import type { SnapshotWriter } from "./bus/snapshot-writer.ts";
import type { EventRecorder } from "./events.ts";
import { errorMessage, type Logger } from "./log.ts";
import type { OperatorMetrics } from "./metrics.ts";
import type { PlannerRunner } from "./planner.ts";

/** Read side: the informer caches. */
export interface Caches {
  policy(namespace: string, name: string): TestTimePolicy | undefined;
  /** Deployments, Services and ConfigMaps labelled for this policy and owned by this uid. */
  owned(namespace: string, policy: string, uid: string): KubernetesObject[];
  deployment(namespace: string, name: string): V1Deployment | undefined;
  pods(namespace: string, policy: string, bin: number, role: Role): V1Pod[];
}

/** Write side: the API server. */
export interface Writer {
  apply(obj: KubernetesObject): Promise<void>;
  delete(obj: KubernetesObject): Promise<void>;
  patchStatus(policy: TestTimePolicy, status: TestTimePolicyStatus): Promise<void>;
}

const unseenTtlMs = 30_000;

function specHash(o: KubernetesObject): string | undefined {
  return o.metadata?.annotations?.[specHashAnnotation];
}

export interface ReconcilerDeps {
  caches: Caches;
  writer: Writer;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  now?: () => Date;
  /** Plans replicas and levels from demand (planner and external modes). */
  planner?: PlannerRunner;
  /** The fleet bus's snapshot bucket (mull operator --nats); without it, the ConfigMap only. */
  snapshots?: SnapshotWriter;
  /**
   * Whether another reconcile of this key is already due (the work queue's dirty mark). A status
   * computed while the key is due again is superseded before it is read: its write is deferred to
   * that reconcile, for at most `statusCoalesceMs`.
   */
  requeued?: (key: string) => boolean;
  statusCoalesceMs?: number;
  /**
   * The alert overrides' expiry (operator/alerts/expiry.ts): returns the policy with the overrides
   * due to go removed, having written that (status.alerts is written only there and by the webhook).
   */
  alerts?: { pass(policy: TestTimePolicy): Promise<TestTimePolicy>; forget(key: string): void };
  /** Reads a ConfigMap's data (a chat template kept in one); undefined when it does not exist. */
  readConfigMap?: (namespace: string, name: string) => Promise<Record<string, string> | undefined>;
}

export class Reconciler {
  private readonly d: ReconcilerDeps;
  /**
   * Per policy key, for the uid it was seen with: the last status this process wrote (the cache
   * may lag our own write) and since when a differing status has been deferred.
   */
  private readonly statuses = new Map<
    string,
    { uid: string; written?: string; deferredSince?: number }
  >();
  /**
   * Objects applied whose watch event has not arrived yet: object key -> the spec hash applied
   * and when. The next reconcile often starts before the cache has the last objects of the one
   * before; without this it would apply them (and announce them as created) a second time.
   */
  private readonly unseen = new Map<string, { hash: string | undefined; at: number }>();
  /** Gauge label sets per policy, removed when the policy goes away. */
  private readonly series = new Map<string, Array<Record<string, string>>>();

  constructor(deps: ReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(key: string): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const cached = this.d.caches.policy(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) {
      // Owner references let the garbage collector delete what the policy owned.
      this.forgetSeries(key);
      this.statuses.delete(key);
      this.d.planner?.forget(key);
      this.d.alerts?.forget(key);
      await this.d.snapshots?.delete(namespace, name);
      return;
    }
    const policy = this.d.alerts ? await this.d.alerts.pass(cached) : cached;
    const uid = policy.metadata.uid ?? "";
    const planned = this.d.planner?.plan(policy);
    const chatTemplate = await this.chatTemplate(policy);
    const desired = desiredState(policy, {
      plan: planned,
      ...(chatTemplate !== undefined ? { chatTemplate } : {}),
      readyReplicas: (bin, role) =>
        this.d.caches.deployment(namespace, poolName(name, bin, role))?.status?.readyReplicas ?? 0,
    });
    const observed = this.d.caches.owned(namespace, name, uid);
    const todo = plan(desired.objects, observed);
    const log = this.d.log.with({ policy: key });
    const now = this.nowMs();

    let firstError: unknown;
    const created: KubernetesObject[] = [];
    const pruned: KubernetesObject[] = [];
    for (const { object, reason } of todo.apply) {
      if (this.applyInFlight(object, now)) continue;
      try {
        await this.d.writer.apply(object);
        this.unseen.set(objectKey(object), { hash: specHash(object), at: this.nowMs() });
        log.info("applied", { kind: object.kind, name: object.metadata?.name, reason });
        if (reason === "create") created.push(object);
      } catch (err) {
        firstError ??= new Error(
          `apply ${object.kind} ${object.metadata?.name}: ${errorMessage(err)}`,
        );
      }
    }
    for (const object of todo.prune) {
      try {
        await this.d.writer.delete(object);
        log.info("pruned", { kind: object.kind, name: object.metadata?.name });
        pruned.push(object);
      } catch (err) {
        if ((err as { code?: number }).code === 404) continue;
        firstError ??= new Error(
          `delete ${object.kind} ${object.metadata?.name}: ${errorMessage(err)}`,
        );
      }
    }

    // Routers on the bus read the same snapshot the ConfigMap holds; a bus outage defers it.
    await this.d.snapshots?.put(desired.snapshot);
    const event = reconcileEvent(created, pruned);
    if (event) await this.d.events.event(policy, "Normal", event.reason, event.message);

    const status = computeStatus({
      policy,
      pools: desired.pools,
      observed: (bin, role) => this.observePool(namespace, name, bin, role),
      ...(firstError ? { reconcileError: errorMessage(firstError) } : {}),
      ...(planned ? { plan: planned } : {}),
      now: this.d.now?.() ?? new Date(),
    });
    this.exportMetrics(key, policy, status);
    await this.writeStatus(key, policy, status);
    await this.budgetEvents(policy, status);
    const scaled = planned && scalingEvent(planned.reasons);
    if (scaled) {
      log.info("planned", { reason: scaled.reason, decisions: scaled.message });
      await this.d.events.event(policy, "Normal", scaled.reason, scaled.message);
    }
    if (firstError) throw firstError;
  }

  /**
   * An owned object's watch event (add, update or delete) reached the cache: from now on the
   * cache, not the memory of our apply, says what the object is.
   */
  observed(obj: KubernetesObject): void {
    this.unseen.delete(objectKey(obj));
  }

  // Applied by us with this very content, and no event about the object since: the cache lags.
  // An expectation older than `unseenTtlMs` is dropped (a watch that broke and relisted).
  private applyInFlight(object: KubernetesObject, now: number): boolean {
    const key = objectKey(object);
    const mine = this.unseen.get(key);
    if (!mine) return false;
    if (now - mine.at > unseenTtlMs || mine.hash !== specHash(object)) {
      this.unseen.delete(key);
      return false;
    }
    return true;
  }

  private nowMs(): number {
    return (this.d.now?.() ?? new Date()).getTime();
  }

  /**
   * A completion-mode chat template kept in a ConfigMap, for the router's config; a missing
   * ConfigMap or key fails the reconcile with a message naming the field (retried with backoff).
   */
  private async chatTemplate(policy: TestTimePolicy): Promise<string | undefined> {
    const ref = routerChatTemplateRef(policy);
    if (ref === undefined || !this.d.readConfigMap) return undefined;
    return chatTemplateText(
      policy,
      await this.d.readConfigMap(policy.metadata.namespace, ref.name),
    );
  }

  /** Records a failed reconcile on the policy (Degraded=True, an Event); never throws. */
  async recordFailure(key: string, err: unknown): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const policy = this.d.caches.policy(namespace, name);
    if (!policy) return;
    await this.d.events.event(policy, "Warning", "ReconcileFailed", errorMessage(err));
  }

  private observePool(namespace: string, policy: string, bin: number, role: Role): ObservedPool {
    const d = this.d.caches.deployment(namespace, poolName(policy, bin, role));
    let gpuPendingPods = 0;
    let unschedulablePods = 0;
    let pendingMessage: string | undefined;
    for (const pod of this.d.caches.pods(namespace, policy, bin, role)) {
      const verdict = pendingVerdict(pod);
      if (!verdict) continue;
      unschedulablePods++;
      if (verdict.insufficientGpu) gpuPendingPods++;
      pendingMessage ??= verdict.message;
    }
    const specReplicas = d?.spec?.replicas;
    const generation = d?.metadata?.generation ?? 0;
    const rolledOut =
      d !== undefined &&
      (d.status?.observedGeneration ?? 0) >= generation &&
      (d.status?.updatedReplicas ?? 0) >= (specReplicas ?? 0);
    return {
      exists: d !== undefined,
      ...(specReplicas === undefined ? {} : { specReplicas }),
      readyReplicas: d?.status?.readyReplicas ?? 0,
      rolledOut,
      gpuPendingPods,
      unschedulablePods,
      ...(pendingMessage ? { pendingMessage } : {}),
    };
  }

  private async writeStatus(
    key: string,
    policy: TestTimePolicy,
    status: TestTimePolicyStatus,
  ): Promise<void> {
    const next = canonicalJson(status);
    const uid = policy.metadata.uid ?? "";
    // A policy recreated under the same name starts with no memory of its predecessor's writes.
    let mine = this.statuses.get(key);
    if (mine?.uid !== uid) {
      mine = { uid };
      this.statuses.set(key, mine);
    }
    if (next === canonicalJson(policy.status ?? {})) {
      mine.written = next;
      mine.deferredSince = undefined;
      return;
    }
    if (mine.written === next) return;
    // A cold start applies a policy's objects one by one; each watch event marks the key due
    // again, and the controller-manager's status updates follow. Writing every intermediate
    // status would cost several writes per policy for states nobody reads.
    const now = this.nowMs();
    const since = mine.deferredSince ?? now;
    if (this.d.requeued?.(key) && now - since < (this.d.statusCoalesceMs ?? 5000)) {
      mine.deferredSince = since;
      return;
    }
    await this.d.writer.patchStatus(policy, status);
    mine.written = next;
    mine.deferredSince = undefined;
    this.d.log.info("status written", {
      policy: `${policy.metadata.namespace}/${policy.metadata.name}`,
      conditions: Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.reason])),
    });
  }

  private async budgetEvents(policy: TestTimePolicy, status: TestTimePolicyStatus): Promise<void> {
    const now = findCondition(status.conditions, "BudgetLimited");
    const before = findCondition(policy.status?.conditions, "BudgetLimited");
    if (now?.status === "True" && (before?.status !== "True" || before.reason !== now.reason)) {
      await this.d.events.event(policy, "Warning", now.reason, now.message);
    }
  }

  private exportMetrics(key: string, policy: TestTimePolicy, status: TestTimePolicyStatus): void {
    const { namespace, name } = policy.metadata;
    this.forgetSeries(key);
    const sets: Array<Record<string, string>> = [];
    const planner = decodeState(status.planner).state;
    for (const b of status.bins ?? []) {
      for (const role of ["proposer", "verifier"] as const) {
        for (const state of ["desired", "ready"] as const) {
          const labels = { namespace, policy: name, bin: String(b.bin), role, state };
          const v = state === "desired" ? b[role].desiredReplicas : b[role].readyReplicas;
          this.d.metrics.poolReplicas.set(labels, v ?? 0);
          sets.push(labels);
        }
        // What the planner wants (planner and external modes): an HPA on an external metric reads it.
        const planned = planner.bins[String(b.bin)]?.replicas[role];
        if (planned !== undefined) {
          const labels = { namespace, policy: name, bin: String(b.bin), role, state: "planned" };
          this.d.metrics.poolReplicas.set(labels, planned);
          sets.push(labels);
        }
      }
    }
    const gpus = status.gpus;
    for (const kind of ["requested", "budget", "pending"] as const) {
      this.d.metrics.policyGpus.set({ namespace, policy: name, kind }, gpus?.[kind] ?? 0);
      sets.push({ namespace, policy: name, kind });
    }
    this.series.set(key, sets);
  }

  private forgetSeries(key: string): void {
    for (const labels of this.series.get(key) ?? []) {
      if ("state" in labels) this.d.metrics.poolReplicas.remove(labels);
      else this.d.metrics.policyGpus.remove(labels);
    }
    this.series.delete(key);
  }
}
