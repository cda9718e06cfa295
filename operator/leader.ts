// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the
// lease when it is free or its holder stopped renewing for leaseDuration (measured on the local
// clock from when this process last saw the record change, so clock skew does not matter); the
// leader renews every retryPeriod and gives up leadership if it cannot renew within renewDeadline.
// A 409 on update means another candidate won the race. release() clears holderIdentity so a
// successor need not wait for expiry.
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { errorMessage, type Logger } from "./log.ts";

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  name: string;
  namespace: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private observedRecord = "";
  private observedAt = 0;
  private lastRenew = 0;
  private current: V1Lease | undefined;
  private readonly o: LeaderElectionOptions;

  constructor(o: LeaderElectionOptions) {
    this.o = o;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodSeconds * 1000);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.o.log.info("became leader", { lease: this.o.name, identity: this.o.identity });
          this.o.onStartedLeading();
        }
      } else if (this.leading) {
        this.lose("another candidate holds the lease");
      }
    } catch (err) {
      this.o.log.warn("lease renewal failed", { error: errorMessage(err) });
      if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineSeconds * 1000) {
        this.lose("could not renew within the renew deadline");
      }
    }
    this.schedule();
  }

  private lose(why: string): void {
    this.leading = false;
    this.o.log.warn("lost leadership", { lease: this.o.name, reason: why });
    this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, name, namespace, identity } = this.o;
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      try {
        this.current = await api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: this.o.leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (createErr) {
        if ((createErr as { code?: number }).code === 409) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ""}/${String(spec.renewTime ?? "")}/${spec.leaseTransitions ?? 0}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? "";
    const duration = (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
    const held = holder !== "" && holder !== identity && this.observedAt + duration > Date.now();
    if (held) return false;

    const takingOver = holder !== identity;
    const body: V1Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: this.o.leaseDurationSeconds,
        renewTime: now,
        ...(takingOver
          ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + (holder ? 1 : 0) }
          : {}),
      },
    };
    try {
      // replace carries resourceVersion: a concurrent writer makes this a 409, never a silent win.
      this.current = await api.replaceNamespacedLease({ name, namespace, body });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw err;
    }
  }

  /** Stops campaigning; if leading, clears holderIdentity so a successor takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading || !this.current) return;
    this.leading = false;
    const { api, name, namespace } = this.o;
    try {
      const lease = await api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            renewTime: new V1MicroTime(),
          },
        },
      });
      this.o.log.info("released lease", { lease: name });
    } catch (err) {
      this.o.log.warn("could not release lease", { error: errorMessage(err) });
    }
  }
}
