// Which policy, bins, roles and action an alert asks for, read from its mull_* labels. Only the
// labels: whether the policy exists and the bin is in its range is apply's business (it has the spec).
import { alertActions } from "../policy/names.ts";
import { alertFieldChars } from "../policy/schema.ts";
import type { IncomingAlert } from "./payload.ts";

export type AlertAction = (typeof alertActions)[number];

export interface AlertTarget {
  namespace: string;
  policy: string;
  bin: number | "all";
  role: "proposer" | "verifier" | "both";
  action: AlertAction;
  /** Replicas (scale_*) or levels (budget_*) to move by; 1 unless mull_step says. */
  step: number;
}

export type Routed =
  | { ok: true; target: AlertTarget }
  | { ok: false; result: "ignored" | "invalid"; message: string };

/** The labels that route an alert (docs/alerts.md). */
export const routeLabels = {
  policy: "mull_policy",
  namespace: "mull_namespace",
  bin: "mull_bin",
  role: "mull_role",
  action: "mull_action",
  step: "mull_step",
} as const;

/** Grafana's own alerts about a query that returned nothing or failed: never a reason to scale. */
export const syntheticAlertnames: readonly string[] = ["DatasourceNoData", "DatasourceError"];

const roleValues = ["proposer", "verifier", "both"] as const;
const isAction = (v: string): v is AlertAction => (alertActions as readonly string[]).includes(v);
const isRole = (v: string): v is AlertTarget["role"] =>
  (roleValues as readonly string[]).includes(v);

export function routeAlert(a: IncomingAlert): Routed {
  const label = (k: string) => a.labels[k]?.trim() ?? "";
  const invalid = (message: string): Routed => ({ ok: false, result: "invalid", message });
  const alertname = label("alertname");
  if (syntheticAlertnames.includes(alertname)) {
    return {
      ok: false,
      result: "ignored",
      message: `${alertname} is Grafana's alert about the query itself, never a reason to scale`,
    };
  }
  // The idempotency key goes into status.alerts, whose fields the API server bounds.
  for (const field of ["fingerprint", "startsAt"] as const) {
    if (a[field].length > alertFieldChars[field]) {
      return invalid(`${field} is longer than ${alertFieldChars[field]} characters`);
    }
  }
  const action = label(routeLabels.action);
  if (action === "") {
    return { ok: false, result: "ignored", message: `no ${routeLabels.action} label` };
  }
  if (!isAction(action)) {
    return invalid(`${routeLabels.action}="${action}": want one of ${alertActions.join(", ")}`);
  }
  const policy = label(routeLabels.policy);
  const namespace = label(routeLabels.namespace);
  if (policy === "" || namespace === "") {
    return invalid(`${routeLabels.policy} and ${routeLabels.namespace} are required`);
  }
  const binLabel = label(routeLabels.bin);
  let bin: number | "all";
  if (binLabel === "all") bin = "all";
  else if (/^\d{1,3}$/.test(binLabel)) bin = Number(binLabel);
  else return invalid(`${routeLabels.bin}="${binLabel}": want a bin number or all`);
  const roleLabel = label(routeLabels.role);
  // A level belongs to the bin, not to a pool: budget_* ignore the role.
  const role = action.startsWith("budget_") || roleLabel === "" ? "both" : roleLabel;
  if (!isRole(role)) {
    return invalid(`${routeLabels.role}="${roleLabel}": want proposer, verifier or both`);
  }
  const stepLabel = label(routeLabels.step);
  if (stepLabel !== "" && !/^[1-9]\d{0,5}$/.test(stepLabel)) {
    return invalid(`${routeLabels.step}="${stepLabel}": want a positive integer`);
  }
  const step = stepLabel === "" ? 1 : Number(stepLabel);
  return { ok: true, target: { namespace, policy, bin, role, action, step } };
}
