// What a batch of routed alerts does to one policy's overrides (status.alerts), and their expiry.
// Pure: the operator's webhook reads the policy, calls applyAlerts, writes the returned
// status.alerts and status.lastAlert, and only then answers the sender (docs/alerts.md).
//
// One override per alert and target it moved, keyed by the alert's fingerprint@startsAt, so a
// re-delivery finds its own override and changes nothing. The step recorded is the one actually
// applied, measured with the same functions the desired state uses (effect.ts).
import { canonicalJson } from "../desired/hash.ts";
import { type BinState, decodeState } from "../planner/state.ts";
import type { alertResults, Role } from "../policy/names.ts";
import { alertFieldChars, maxAlertOverrides, maxBins } from "../policy/schema.ts";
import type {
  AlertOverride,
  AlertStep,
  AlertsStatus,
  BinSpec,
  LastAlert,
  TestTimePolicy,
} from "../policy/types.ts";
import {
  alertEffect,
  binLevels,
  overriddenMaxLevel,
  overriddenReplicas,
  poolBounds,
  poolKey,
} from "./effect.ts";
import type { AlertSource, IncomingAlert } from "./payload.ts";
import type { AlertTarget } from "./route.ts";

export { alertEffect } from "./effect.ts";

export type AlertResult = (typeof alertResults)[number];

export interface AlertOutcome {
  fingerprint: string;
  alertname: string;
  result: AlertResult;
  message: string;
}

export interface ApplyInput {
  policy: TestTimePolicy;
  source: AlertSource;
  alerts: Array<{ alert: IncomingAlert; target: AlertTarget }>;
  now: Date;
}

export interface ApplyOutput {
  /** The new status.alerts. */
  alerts: AlertsStatus;
  /** The new status.lastAlert: the batch's last alert; undefined for an empty batch. */
  lastAlert: LastAlert | undefined;
  /** One per alert, in order. */
  outcomes: AlertOutcome[];
  /** status.alerts differs from the policy's (lastAlert is new whenever the batch is not empty). */
  changed: boolean;
}

const alertnameOf = (a: IncomingAlert) =>
  (a.labels.alertname ?? "").slice(0, alertFieldChars.alertname);

export const alertKey = (a: Pick<IncomingAlert, "fingerprint" | "startsAt">) =>
  `${a.fingerprint}@${a.startsAt}`;

/** One thing an alert can move: a pool (role set) or a bin's level. */
interface Unit {
  bin: BinSpec;
  role: Role | undefined;
}

const unitName = (u: Unit) => `bin ${u.bin.bin} ${u.role ?? "max level"}`;
const stepKey = (bin: number, role: Role | undefined) => `${bin}/${role ?? "level"}`;
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** The working copy of status.alerts one batch edits. */
class Overrides {
  overrides: AlertOverride[];
  steps: AlertStep[];
  private readonly policy: TestTimePolicy;
  constructor(policy: TestTimePolicy, now: Date) {
    this.policy = policy;
    const cooldownMs = policy.spec.scaling.alerts.cooldownSeconds * 1000;
    this.overrides = [...(policy.status?.alerts?.overrides ?? [])];
    // A clock whose cooldown has passed blocks nothing; dropping it keeps the list short.
    this.steps = (policy.status?.alerts?.steps ?? []).filter(
      (s) => Date.parse(s.at) + cooldownMs > now.getTime(),
    );
  }

  status(): AlertsStatus {
    return { overrides: this.overrides, steps: this.steps };
  }

  /** The policy as it would be with the working overrides, for effect.ts. */
  private view(): TestTimePolicy {
    return {
      ...this.policy,
      status: { ...this.policy.status, alerts: this.status() },
    };
  }

  /** The pool's replicas or the bin's max level (undefined: uncapped) with the overrides so far. */
  current(u: Unit): number | undefined {
    const plannerBins = plannerState(this.policy);
    const view = this.view();
    if (u.role) {
      const replicas = overriddenReplicas(view, (bin, role) =>
        baseReplicas(this.policy, plannerBins, bin, role),
      );
      return replicas.get(poolKey(u.bin.bin, u.role));
    }
    const cap =
      this.policy.spec.scaling.mode === "planner" ? plannerBins[u.bin.bin]?.maxLevel : undefined;
    return overriddenMaxLevel(view, u.bin, cap, alertEffect(view).levelDelta(u.bin.bin));
  }

  /** GPUs the fleet requests with the overrides so far. */
  gpus(): number {
    const plannerBins = plannerState(this.policy);
    const replicas = overriddenReplicas(this.view(), (bin, role) =>
      baseReplicas(this.policy, plannerBins, bin, role),
    );
    let total = 0;
    for (const b of this.policy.spec.bins) {
      for (const role of ["proposer", "verifier"] as const) {
        total += (replicas.get(poolKey(b.bin, role)) ?? 0) * this.policy.spec[role].gpus;
      }
    }
    return total;
  }

  lastStep(u: Unit): AlertStep | undefined {
    return this.steps.find((s) => s.bin === u.bin.bin && s.role === u.role);
  }

  recordStep(u: Unit, at: string): void {
    this.steps = this.steps.filter((s) => stepKey(s.bin, s.role) !== stepKey(u.bin.bin, u.role));
    this.steps.push({ bin: u.bin.bin, ...(u.role ? { role: u.role } : {}), at });
  }
}

/** The planner's last figures per bin, as it keeps them in status.planner. */
function plannerState(policy: TestTimePolicy): Record<string, BinState | undefined> {
  return decodeState(policy.status?.planner).state.bins;
}

/** What the overrides stack on: the planner's last replicas (planner mode) or minReplicas. */
function baseReplicas(
  policy: TestTimePolicy,
  plannerBins: ReturnType<typeof plannerState>,
  bin: number,
  role: Role,
): number {
  const b = policy.spec.bins.find((x) => x.bin === bin);
  const min = b?.[role].minReplicas ?? 0;
  if (policy.spec.scaling.mode !== "planner") return min;
  return plannerBins[bin]?.replicas[role] ?? min;
}

/** The signed step an alert may take on one unit now, and why it is less than asked. */
function room(
  work: Overrides,
  policy: TestTimePolicy,
  u: Unit,
  action: AlertTarget["action"],
  want: number,
): { step: number; from: number | undefined; limit?: string } {
  const up = action === "scale_up" || action === "budget_up";
  const from = work.current(u);
  if (u.role) {
    const cur = from ?? 0;
    const { min, max } = poolBounds(u.bin, u.role);
    if (!up) {
      const step = Math.min(0, Math.max(-want, min - cur));
      return step === -want ? { step, from } : { step, from, limit: `minReplicas ${min}` };
    }
    const perReplica = policy.spec[u.role].gpus;
    const free = policy.spec.budget.gpus - work.gpus();
    const byGpus = perReplica === 0 ? want : Math.floor(Math.max(0, free) / perReplica);
    const step = Math.max(0, Math.min(want, max - cur, byGpus));
    if (step === want) return { step, from };
    return {
      step,
      from,
      limit: max - cur <= byGpus ? `maxReplicas ${max}` : `budget.gpus ${policy.spec.budget.gpus}`,
    };
  }
  const { top, nominal } = binLevels(policy, u.bin);
  if (up) {
    // Uncapped already allows the top level: nothing to lift.
    if (from === undefined) return { step: 0, from, limit: "no cap in force" };
    const step = Math.max(0, Math.min(want, top - from));
    return step === want ? { step, from } : { step, from, limit: `top level ${top}` };
  }
  const level = from ?? nominal;
  const step = Math.min(0, Math.max(-want, -level));
  return step === -want ? { step, from } : { step, from, limit: "level 0" };
}

function targetUnits(policy: TestTimePolicy, t: AlertTarget): Unit[] | undefined {
  const bins =
    t.bin === "all"
      ? [...policy.spec.bins].sort((a, b) => a.bin - b.bin)
      : policy.spec.bins.filter((b) => b.bin === t.bin);
  if (bins.length === 0) return undefined;
  const budget = t.action === "budget_up" || t.action === "budget_down";
  const unitRoles: Array<Role | undefined> = budget
    ? [undefined]
    : t.role === "both"
      ? ["proposer", "verifier"]
      : [t.role];
  return bins.flatMap((bin) => unitRoles.map((role) => ({ bin, role })));
}

function applyFiring(
  work: Overrides,
  input: ApplyInput,
  alert: IncomingAlert,
  t: AlertTarget,
): { result: AlertResult; message: string } {
  const { policy, now } = input;
  const cfg = policy.spec.scaling.alerts;
  const key = alertKey(alert);
  const at = now.toISOString();
  const mine = work.overrides.filter((o) => o.key === key);
  if (mine.length > 0) {
    work.overrides = work.overrides.map((o) => (o.key === key ? { ...o, lastSeenAt: at } : o));
    return { result: "duplicate", message: `already in force since ${mine[0]?.appliedAt}` };
  }
  const units = targetUnits(policy, t);
  if (!units) {
    const bins = policy.spec.bins.map((b) => b.bin).sort((a, b) => a - b);
    return { result: "unknown_bin", message: `bin ${t.bin} is not one of ${bins.join(", ")}` };
  }
  const want = Math.min(t.step, cfg.maxStep);
  const notes: string[] = [];
  if (t.step > cfg.maxStep) notes.push(`step ${t.step} clamped to maxStep ${cfg.maxStep}`);
  let moved = 0;
  let limited = t.step > cfg.maxStep;
  let cooling = 0;
  for (const u of units) {
    const last = work.lastStep(u);
    if (last) {
      const until = new Date(Date.parse(last.at) + cfg.cooldownSeconds * 1000);
      notes.push(`${unitName(u)}: cooldown until ${until.toISOString()}`);
      cooling++;
      continue;
    }
    const r = room(work, policy, u, t.action, want);
    const from = r.from === undefined ? "uncapped" : String(r.from);
    if (r.limit) limited = true;
    if (r.step === 0) {
      notes.push(`${unitName(u)} stays ${from} (${r.limit})`);
      continue;
    }
    if (work.overrides.length >= maxAlertOverrides) {
      limited = true;
      notes.push(`${unitName(u)}: ${maxAlertOverrides} overrides already in force`);
      continue;
    }
    const to = (r.from ?? binLevels(policy, u.bin).nominal) + r.step;
    notes.push(
      `${unitName(u)} ${from} -> ${to} (${signed(r.step)}${r.limit ? `, ${r.limit}` : ""})`,
    );
    work.overrides.push({
      key,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      source: input.source,
      alertname: alertnameOf(alert),
      bin: u.bin.bin,
      ...(u.role ? { role: u.role } : {}),
      action: t.action,
      step: r.step,
      appliedAt: at,
      lastSeenAt: at,
    });
    work.recordStep(u, at);
    moved++;
  }
  const message = notes.join("; ");
  if (moved > 0) return { result: limited ? "clamped" : "applied", message };
  if (cooling > 0) return { result: "cooldown", message };
  return { result: "clamped", message };
}

function applyResolved(
  work: Overrides,
  alert: IncomingAlert,
): { result: AlertResult; message: string } {
  const key = alertKey(alert);
  const mine = work.overrides.filter((o) => o.key === key);
  if (mine.length === 0) return { result: "resolved", message: "no override in force" };
  work.overrides = work.overrides.filter((o) => o.key !== key);
  return { result: "resolved", message: `removed ${describe(mine)}` };
}

function describe(overrides: AlertOverride[]): string {
  return overrides.map((o) => `bin ${o.bin} ${o.role ?? "max level"} ${signed(o.step)}`).join(", ");
}

/** Why alerts do nothing to this policy, or undefined when they apply. */
function inactive(policy: TestTimePolicy): { result: AlertResult; message: string } | undefined {
  if (policy.spec.scaling.mode === "external") {
    return {
      result: "refused_external",
      message: "scaling.mode is external: the autoscaler (KEDA/HPA) owns the replicas",
    };
  }
  if (!policy.spec.scaling.alerts.enabled) {
    return { result: "disabled", message: "scaling.alerts.enabled is false" };
  }
  return undefined;
}

/**
 * status.lastAlert for one alert; also for one the webhook settled before applyAlerts (an
 * `invalid` or `ignored` alert naming a known policy: `target` is then absent).
 */
export function lastAlertOf(o: {
  source: AlertSource;
  alert: IncomingAlert;
  target?: AlertTarget;
  result: AlertResult;
  message: string;
  now: Date;
}): LastAlert {
  const t = o.target;
  const budget = t?.action === "budget_up" || t?.action === "budget_down";
  return {
    time: o.now.toISOString(),
    source: o.source,
    alertname: alertnameOf(o.alert),
    ...(t ? { action: t.action } : {}),
    // An out-of-range bin (unknown_bin) is in the message: the schema bounds the field.
    ...(t && t.bin !== "all" && t.bin >= 1 && t.bin <= maxBins ? { bin: t.bin } : {}),
    ...(t && !budget ? { role: t.role } : {}),
    result: o.result,
    message: o.message.slice(0, 1024),
  };
}

export function applyAlerts(input: ApplyInput): ApplyOutput {
  const { policy, now } = input;
  const work = new Overrides(policy, now);
  const off = inactive(policy);
  const outcomes: AlertOutcome[] = [];
  let lastAlert: LastAlert | undefined;
  for (const { alert, target } of input.alerts) {
    const r =
      off ??
      (alert.status === "resolved"
        ? applyResolved(work, alert)
        : applyFiring(work, input, alert, target));
    const alertname = alertnameOf(alert);
    outcomes.push({ fingerprint: alert.fingerprint, alertname, ...r });
    lastAlert = lastAlertOf({ source: input.source, alert, target, ...r, now });
  }
  const before = policy.status?.alerts ?? { overrides: [], steps: [] };
  const alerts = off ? before : work.status();
  return { alerts, lastAlert, outcomes, changed: !sameAlerts(alerts, before) };
}

/** Equal up to key order and absent-versus-empty lists (the API server returns sorted keys). */
function sameAlerts(a: AlertsStatus, b: AlertsStatus): boolean {
  const norm = (x: AlertsStatus) => canonicalJson({ o: x.overrides ?? [], s: x.steps ?? [] });
  return norm(a) === norm(b);
}

export interface ExpireOutput {
  alerts: AlertsStatus;
  /** status.alerts differs from the policy's (an override went, or a spent cooldown clock). */
  changed: boolean;
  /** One per alert whose overrides went (result expired; disabled/refused_external when alerts stopped applying). */
  expired: AlertOutcome[];
  /** When the next override expires; undefined when none is in force. */
  nextExpiry: Date | undefined;
}

/** Drops overrides not re-sent within ttlSeconds (and every override while alerts do not apply). */
export function expireAlerts(policy: TestTimePolicy, now: Date): ExpireOutput {
  const work = new Overrides(policy, now);
  const ttlMs = policy.spec.scaling.alerts.ttlSeconds * 1000;
  const off = inactive(policy);
  const gone = new Map<string, AlertOverride[]>();
  let nextExpiry: number | undefined;
  work.overrides = work.overrides.filter((o) => {
    const expiry = Date.parse(o.lastSeenAt) + ttlMs;
    // An unreadable time counts as long past: a hand-edited status must not pin an override.
    if (off || !(expiry > now.getTime())) {
      gone.set(o.key, [...(gone.get(o.key) ?? []), o]);
      return false;
    }
    nextExpiry = Math.min(nextExpiry ?? expiry, expiry);
    return true;
  });
  const expired = [...gone.values()].map((os): AlertOutcome => {
    const o = os[0] as AlertOverride;
    return {
      fingerprint: o.fingerprint,
      alertname: o.alertname,
      result: off ? off.result : "expired",
      message: off
        ? `dropped ${describe(os)}: ${off.message}`
        : `not re-sent for ${policy.spec.scaling.alerts.ttlSeconds}s: removed ${describe(os)}`,
    };
  });
  return {
    alerts: work.status(),
    changed: !sameAlerts(work.status(), policy.status?.alerts ?? {}),
    expired,
    nextExpiry: nextExpiry === undefined ? undefined : new Date(nextExpiry),
  };
}
