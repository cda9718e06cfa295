// Wires the operator together: informers feed the work queue; workers reconcile only while this
// replica holds the leader Lease; a periodic resync re-enqueues every policy (level-triggered
// safety net: a no-op resync issues no writes). stop() drains workers, releases the lease and
// stops the watches.
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import { policyKey } from "../proto/bus/naming.ts";
import { AlertExpiry } from "./alerts/expiry.ts";
import { AlertHandler } from "./alerts/handler.ts";
import { kubePolicyStore, type PolicyStore } from "./alerts/store.ts";
import type { SnapshotWriter } from "./bus/snapshot-writer.ts";
import { type EventRecorder, eventRecorder } from "./events.ts";
import { clusterIO } from "./kube.ts";
import { LeaderElector } from "./leader.ts";
import { errorMessage, type Logger } from "./log.ts";
import type { OperatorMetrics } from "./metrics.ts";
import { type DemandSource, PlannerRunner } from "./planner.ts";
import { Reconciler } from "./reconciler.ts";
import { WorkQueue } from "./workqueue.ts";

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  namespace: string | undefined;
  identity: string;
  concurrency: number;
  resyncSeconds: number;
  leaderElection:
    | {
        name: string;
        namespace: string;
        leaseDurationSeconds: number;
        renewDeadlineSeconds: number;
        retryPeriodSeconds: number;
      }
    | undefined;
  log: Logger;
  metrics: OperatorMetrics;
  /** How often planner- and external-mode policies are re-planned, in seconds. */
  plannerIntervalSeconds?: number;
  /** The routers' demand (the bus); without it the planner holds minReplicas. */
  demand?: DemandSource;
  /** The fleet bus's snapshot bucket; the leader writes every policy's snapshot there. */
  snapshots?: SnapshotWriter;
}

export class Manager {
  private readonly o: ManagerOptions;
  private readonly queue = new WorkQueue();
  private readonly io;
  private readonly reconciler: Reconciler;
  private readonly elector: LeaderElector | undefined;
  private leading = false;
  private gate: Promise<void>;
  private openGate: () => void = () => {};
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private plannerTimer: NodeJS.Timeout | undefined;
  private readonly planner: PlannerRunner;
  private readonly events: EventRecorder;
  private readonly alertStore: PolicyStore;
  private readonly alertExpiry: AlertExpiry;
  private stopping = false;

  constructor(o: ManagerOptions) {
    this.o = o;
    this.gate = new Promise((r) => {
      this.openGate = r;
    });
    this.io = clusterIO({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      log: o.log,
      metrics: o.metrics,
      enqueue: (key) => {
        this.queue.add(key);
        o.metrics.queueDepth.set(this.queue.length);
      },
      observed: (obj) => this.reconciler.observed(obj),
    });
    const core = o.kubeConfig.makeApiClient(CoreV1Api);
    this.planner = new PlannerRunner({ demand: o.demand, metrics: o.metrics, log: o.log });
    this.events = eventRecorder(core, "mull-operator", o.identity, o.log, () =>
      o.metrics.writes.inc({ verb: "create", kind: "Event" }),
    );
    this.alertStore = kubePolicyStore(o.kubeConfig, o.metrics);
    this.alertExpiry = new AlertExpiry({
      store: this.alertStore,
      events: this.events,
      metrics: o.metrics,
      log: o.log,
      requeue: (key) => this.enqueue([key]),
    });
    this.reconciler = new Reconciler({
      caches: this.io.caches,
      writer: this.io.writer,
      events: this.events,
      alerts: this.alertExpiry,
      metrics: o.metrics,
      log: o.log,
      planner: this.planner,
      ...(o.snapshots ? { snapshots: o.snapshots } : {}),
      requeued: (key) => this.queue.isDue(key),
      readConfigMap: async (namespace, name) => {
        try {
          return (await core.readNamespacedConfigMap({ name, namespace })).data ?? {};
        } catch (err) {
          if ((err as { code?: number }).code === 404) return undefined;
          throw err;
        }
      },
    });
    if (o.leaderElection) {
      const le = o.leaderElection;
      this.elector = new LeaderElector({
        api: o.kubeConfig.makeApiClient(CoordinationV1Api),
        ...le,
        identity: o.identity,
        log: o.log,
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: () => this.stopLeading(),
      });
    }
  }

  ready(): boolean {
    return this.io.informers.every((i) => i.hasSynced());
  }

  /** A policy as cached (every replica has it, leader or not). */
  policy(namespace: string, name: string): TestTimePolicy | undefined {
    return this.io.policies.get(name, namespace);
  }

  /** Leading, with the caches synced and the workers reconciling. */
  isLeader(): boolean {
    return this.leading && this.ready();
  }

  /** The alert webhook's handler (operator/alerts): records alerts, then reconciles the policy. */
  alertSink(): AlertHandler {
    return new AlertHandler({
      store: this.alertStore,
      events: this.events,
      metrics: this.o.metrics,
      log: this.o.log.with({ component: "alerts" }),
      enqueue: (key) => this.enqueue([key]),
      ...(this.o.namespace !== undefined ? { namespace: this.o.namespace } : {}),
    });
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.o.concurrency; i++) this.workers.push(this.worker());
    // Campaign at once, but reconcile only after the caches are synced (see startLeading).
    const synced = Promise.all(this.io.informers.map((i) => i.start()));
    if (this.elector) this.elector.start();
    await synced;
    this.o.log.info("caches synced", { policies: this.io.policies.list().length });
    if (!this.elector) this.startLeading();
    else if (this.leading) this.openGateWhenSynced();
    this.resyncTimer = setInterval(() => {
      if (this.leading) this.enqueueAll();
    }, this.o.resyncSeconds * 1000);
    this.resyncTimer.unref();
    this.plannerTimer = setInterval(
      () => {
        if (this.leading) this.enqueuePlanned();
      },
      (this.o.plannerIntervalSeconds ?? 15) * 1000,
    );
    this.plannerTimer.unref();
  }

  /** Demand for a policy changed (the bus calls this): plan it now rather than at the next tick. */
  demandChanged(namespace: string, name: string): void {
    if (!this.leading) return;
    const p = this.io.policies
      .list()
      .find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
    if (!p || p.spec.scaling.mode === "manual") return;
    this.planner.request(`${namespace}/${name}`);
    this.queue.add(`${namespace}/${name}`);
    this.o.metrics.queueDepth.set(this.queue.length);
  }

  private enqueuePlanned(): void {
    for (const p of this.io.policies.list()) {
      if (p.spec.scaling.mode === "manual") continue;
      const key = `${p.metadata.namespace}/${p.metadata.name}`;
      this.planner.request(key);
      this.queue.add(key);
    }
    this.o.metrics.queueDepth.set(this.queue.length);
  }

  private startLeading(): void {
    this.leading = true;
    this.o.metrics.leader.set(1);
    if (this.ready()) this.openGateWhenSynced();
  }

  private openGateWhenSynced(): void {
    this.enqueueAll();
    this.openGate();
    // Policies deleted while no leader ran leave keys no reconcile will visit.
    if (this.o.snapshots) void this.pruneSnapshots(this.o.snapshots);
  }

  private async pruneSnapshots(snapshots: SnapshotWriter): Promise<void> {
    const live = new Set(
      this.io.policies.list().map((p) => policyKey(p.metadata.namespace ?? "", p.metadata.name)),
    );
    const pruned = await snapshots.prune(live, this.o.namespace);
    if (pruned > 0) this.o.log.info("pruned snapshots of deleted policies", { pruned });
  }

  /** Reconcile these policies (`ns/name`) again, e.g. after the bus came back. */
  enqueue(keys: readonly string[]): void {
    if (!this.leading) return;
    for (const key of keys) this.queue.add(key);
    this.o.metrics.queueDepth.set(this.queue.length);
  }

  private stopLeading(): void {
    this.leading = false;
    this.planner.reset();
    this.o.metrics.leader.set(0);
    // Close the gate: workers finish the key in hand and then wait.
    this.gate = new Promise((r) => {
      this.openGate = r;
    });
  }

  private enqueueAll(): void {
    for (const p of this.io.policies.list())
      this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    this.o.metrics.queueDepth.set(this.queue.length);
  }

  private async worker(): Promise<void> {
    for (;;) {
      await this.gate;
      if (this.stopping) return;
      const key = await this.queue.get();
      if (key === undefined) return;
      this.o.metrics.queueDepth.set(this.queue.length);
      if (!this.leading) {
        // Lost the lease while waiting: put the key back for whoever leads next.
        this.queue.done(key);
        this.queue.add(key);
        continue;
      }
      const end = this.o.metrics.reconcileDuration.startTimer();
      try {
        await this.reconciler.reconcile(key);
        this.queue.forget(key);
        this.o.metrics.reconciles.inc({ result: "success" });
        end({ result: "success" });
      } catch (err) {
        const delay = this.queue.addRateLimited(key);
        this.o.metrics.reconciles.inc({ result: "error" });
        end({ result: "error" });
        this.o.log.error("reconcile failed", {
          policy: key,
          error: errorMessage(err),
          retryInMs: delay,
        });
        await this.reconciler.recordFailure(key, err);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.plannerTimer) clearInterval(this.plannerTimer);
    this.alertExpiry.stop();
    this.queue.shutDown();
    this.openGate();
    await Promise.all(this.workers);
    await this.elector?.release();
    this.o.metrics.leader.set(0);
    await Promise.all(this.io.informers.map((i) => i.stop().catch(() => {})));
  }
}
