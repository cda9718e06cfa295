// The TTL side of the alert overrides: on every reconcile of a policy with overrides or cooldown
// clocks, expireAlerts (controller/alerts/apply.ts) says what is due to go. A due removal is
// written as the webhook writes (fresh read, resourceVersion, retry on 409); either way a timer
// brings the policy back to the work queue when its next override expires. The same pass drops
// every override once alerts stop applying (external mode, alerts.enabled=false).
import { expireAlerts } from "../../controller/alerts/apply.ts";
import type { AlertSource } from "../../controller/alerts/payload.ts";
import type { TestTimePolicy } from "../../controller/policy/types.ts";
import type { EventRecorder } from "../events.ts";
import type { Logger } from "../log.ts";
import type { OperatorMetrics } from "../metrics.ts";
import { alertEvent, eventMessage } from "./handler.ts";
import type { PolicyStore } from "./store.ts";

export interface AlertExpiryDeps {
  store: PolicyStore;
  events: EventRecorder;
  metrics: Pick<OperatorMetrics, "alerts">;
  log: Logger;
  /** Put the policy ("ns/name") back on the work queue. */
  requeue: (key: string) => void;
  now?: () => Date;
  maxConflicts?: number;
}

const keyOf = (p: TestTimePolicy) => `${p.metadata.namespace}/${p.metadata.name}`;

export class AlertExpiry {
  private readonly d: AlertExpiryDeps;
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  constructor(deps: AlertExpiryDeps) {
    this.d = deps;
  }

  /**
   * The policy to reconcile: `cached` with the overrides due to go removed (and written). Costs
   * nothing when nothing is due. Throws when a due removal cannot be written.
   */
  async pass(cached: TestTimePolicy): Promise<TestTimePolicy> {
    const key = keyOf(cached);
    const now = this.d.now?.() ?? new Date();
    const a = cached.status?.alerts;
    if (!a?.overrides?.length && !a?.steps?.length) {
      this.forget(key);
      return cached;
    }
    const due = expireAlerts(cached, now);
    if (!due.changed) {
      this.schedule(key, due.nextExpiry);
      return cached;
    }
    const attempts = this.d.maxConflicts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const fresh = await this.d.store.get(cached.metadata.namespace, cached.metadata.name);
      if (!fresh) return cached;
      const e = expireAlerts(fresh, now);
      if (e.changed && !(await this.d.store.writeAlerts(fresh, e.alerts, undefined))) continue;
      this.schedule(key, e.nextExpiry);
      const before = fresh.status?.alerts?.overrides ?? [];
      for (const o of e.expired) {
        const source = before.find((x) => x.fingerprint === o.fingerprint)?.source as
          | AlertSource
          | undefined;
        const action = before.find((x) => x.fingerprint === o.fingerprint)?.action ?? "none";
        this.d.metrics.alerts.inc({ source: source ?? "unknown", action, result: o.result });
        const ev = alertEvent(o.result);
        if (ev) await this.d.events.event(fresh, ev.type, ev.reason, eventMessage(source, o));
      }
      if (e.expired.length > 0) {
        this.d.log.info("alert overrides expired", {
          policy: key,
          expired: e.expired.map((o) => `${o.alertname}:${o.result}`),
        });
      }
      return { ...cached, status: { ...cached.status, alerts: e.alerts } };
    }
    throw new Error(`the status of ${key} kept changing: ${attempts} expiry writes conflicted`);
  }

  /** The policy went: no timer for it. */
  forget(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t.timer);
    this.timers.delete(key);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }

  private schedule(key: string, at: Date | undefined): void {
    if (!at) {
      this.forget(key);
      return;
    }
    const ms = at.getTime();
    const t = this.timers.get(key);
    if (t?.at === ms) return;
    this.forget(key);
    const now = (this.d.now?.() ?? new Date()).getTime();
    // A little after the instant, so that expireAlerts finds it strictly past.
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.d.requeue(key);
      },
      Math.max(0, ms - now) + 50,
    );
    timer.unref();
    this.timers.set(key, { at: ms, timer });
  }
}
