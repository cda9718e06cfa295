// What the webhook does with decoded alerts: route each (controller/alerts/route.ts), group them
// by policy, and per policy read it fresh from the API server, apply the batch
// (controller/alerts/apply.ts) and write status.alerts and status.lastAlert with optimistic
// concurrency, before the server answers. Then an Event per applied, clamped or refused alert,
// mull_alerts_total, and a reconcile of the policy so that its Deployments follow at once.
import {
  type AlertOutcome,
  type AlertResult,
  applyAlerts,
  lastAlertOf,
} from "../../controller/alerts/apply.ts";
import type { AlertSource, IncomingAlert } from "../../controller/alerts/payload.ts";
import { type AlertTarget, routeAlert, routeLabels } from "../../controller/alerts/route.ts";
import { alertActions } from "../../controller/policy/names.ts";
import type { LastAlert, TestTimePolicy } from "../../controller/policy/types.ts";
import type { EventRecorder, EventType } from "../events.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { OperatorMetrics } from "../metrics.ts";
import { type AlertReply, type AlertSink, AlertsUnavailable } from "./server.ts";
import type { PolicyStore } from "./store.ts";

export interface AlertHandlerDeps {
  store: PolicyStore;
  events: EventRecorder;
  metrics: Pick<OperatorMetrics, "alerts">;
  log: Logger;
  /** Reconcile this policy ("ns/name") now. */
  enqueue: (key: string) => void;
  /** The namespace the operator is confined to (--namespace); undefined: all. */
  namespace?: string;
  now?: () => Date;
  /** Writes refused with 409 before giving up with a 503. */
  maxConflicts?: number;
}

interface Entry {
  index: number;
  alert: IncomingAlert;
  /** Routed: what it asks for. Absent: settled by routing (ignored / invalid), kept for lastAlert. */
  target?: AlertTarget;
  settled?: { result: AlertResult; message: string };
}

/** The Event an outcome gets; undefined: none (duplicates, cooldowns, resolved: the status says). */
export function alertEvent(r: AlertResult): { type: EventType; reason: string } | undefined {
  switch (r) {
    case "applied":
      return { type: "Normal", reason: "AlertApplied" };
    case "clamped":
      return { type: "Normal", reason: "AlertClamped" };
    case "refused_external":
    case "disabled":
      return { type: "Warning", reason: "AlertRefused" };
    case "expired":
      return { type: "Normal", reason: "AlertExpired" };
    default:
      return undefined;
  }
}

const actionLabel = (a: IncomingAlert, t?: AlertTarget): string => {
  if (t) return t.action;
  const v = a.labels[routeLabels.action];
  return v !== undefined && (alertActions as readonly string[]).includes(v) ? v : "none";
};

export class AlertHandler implements AlertSink {
  private readonly d: AlertHandlerDeps;
  constructor(deps: AlertHandlerDeps) {
    this.d = deps;
  }

  async deliver(source: AlertSource, alerts: IncomingAlert[]): Promise<AlertReply[]> {
    const now = this.d.now?.() ?? new Date();
    const replies: AlertReply[] = [];
    const counted: Array<{ action: string; result: AlertResult }> = [];
    const groups = new Map<string, { namespace: string; name: string; entries: Entry[] }>();
    const group = (namespace: string, name: string) => {
      const key = `${namespace}/${name}`;
      let g = groups.get(key);
      if (!g) {
        g = { namespace, name, entries: [] };
        groups.set(key, g);
      }
      return g;
    };
    alerts.forEach((alert, index) => {
      const alertname = alert.labels.alertname ?? "";
      const routed = routeAlert(alert);
      if (routed.ok) {
        const t = routed.target;
        group(t.namespace, t.policy).entries.push({ index, alert, target: t });
        replies[index] = {
          fingerprint: alert.fingerprint,
          alertname,
          policy: `${t.namespace}/${t.policy}`,
          result: "unknown_policy",
          message: "",
        };
        return;
      }
      const settled = { result: routed.result, message: routed.message };
      const ns = alert.labels[routeLabels.namespace];
      const name = alert.labels[routeLabels.policy];
      // An ignored or invalid alert naming a policy still shows in its status.lastAlert.
      if (ns && name) group(ns, name).entries.push({ index, alert, settled });
      replies[index] = {
        fingerprint: alert.fingerprint,
        alertname,
        ...(ns && name ? { policy: `${ns}/${name}` } : {}),
        ...settled,
      };
      counted[index] = { action: actionLabel(alert), result: routed.result };
    });
    for (const g of groups.values()) {
      const outcomes = await this.settle(source, g.namespace, g.name, g.entries, now);
      for (const [index, o] of outcomes) {
        const entry = g.entries.find((e) => e.index === index);
        replies[index] = {
          ...(replies[index] as AlertReply),
          result: o.result,
          message: o.message,
        };
        counted[index] = {
          action: actionLabel(entry?.alert as IncomingAlert, entry?.target),
          result: o.result,
        };
      }
    }
    for (const c of counted) if (c) this.d.metrics.alerts.inc({ source, ...c });
    return replies;
  }

  /** One policy's alerts, recorded; the outcome of each routed alert by its index in the request. */
  private async settle(
    source: AlertSource,
    namespace: string,
    name: string,
    entries: Entry[],
    now: Date,
  ): Promise<Map<number, { result: AlertResult; message: string }>> {
    const key = `${namespace}/${name}`;
    const routed = entries.filter(
      (e): e is Entry & { target: AlertTarget } => e.target !== undefined,
    );
    const results = new Map<number, { result: AlertResult; message: string }>();
    const unknown = (message: string) => {
      for (const e of routed) results.set(e.index, { result: "unknown_policy", message });
      return results;
    };
    if (this.d.namespace !== undefined && namespace !== this.d.namespace) {
      return unknown(
        `namespace ${namespace} is outside this operator's scope (${this.d.namespace})`,
      );
    }
    const attempts = this.d.maxConflicts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let policy: TestTimePolicy | undefined;
      try {
        policy = await this.d.store.get(namespace, name);
      } catch (err) {
        throw new AlertsUnavailable(
          `cannot read policy ${key} from the API server: ${errorMessage(err)}`,
        );
      }
      if (!policy) return unknown(`no TestTimePolicy ${key}`);
      const out = applyAlerts({
        policy,
        source,
        alerts: routed.map((e) => ({ alert: e.alert, target: e.target })),
        now,
      });
      const last = entries[entries.length - 1] as Entry;
      const lastAlert: LastAlert | undefined = last.settled
        ? lastAlertOf({ source, alert: last.alert, ...last.settled, now })
        : out.lastAlert;
      let written: boolean;
      try {
        written = await this.d.store.writeAlerts(policy, out.alerts, lastAlert);
      } catch (err) {
        throw new AlertsUnavailable(`cannot write the status of ${key}: ${errorMessage(err)}`);
      }
      if (!written) continue;
      routed.forEach((e, i) => {
        const o = out.outcomes[i] as AlertOutcome;
        results.set(e.index, { result: o.result, message: o.message });
      });
      this.d.log.info("alerts recorded", {
        policy: key,
        source,
        results: out.outcomes.map((o) => `${o.alertname}:${o.result}`),
      });
      for (const o of out.outcomes) {
        const ev = alertEvent(o.result);
        if (ev) await this.d.events.event(policy, ev.type, ev.reason, eventMessage(source, o));
      }
      if (out.changed) this.d.enqueue(key);
      return results;
    }
    throw new AlertsUnavailable(
      `the status of ${key} kept changing: ${attempts} writes conflicted`,
    );
  }
}

export function eventMessage(source: AlertSource | undefined, o: AlertOutcome): string {
  const from = source ? `${source} alert` : "alert";
  return `${from} ${o.alertname || "(no alertname)"} (${o.fingerprint}): ${o.result}: ${o.message}`;
}
