// The one Event a reconcile records about what it created and pruned. One per reconcile, not one
// per object: a cold start of 200 policies would otherwise write an Event for each of its 4,200
// objects, doubling the API server's work for what `kubectl describe ttp` shows in a line.
import type { KubernetesObject } from "@kubernetes/client-node";

/** The longest message an Event gets; the API server's limit is 1 KiB of note. */
export const maxEventMessage = 1024;

export interface ReconcileEvent {
  /** Created: only creations; Pruned: only deletions; Reconciled: both. */
  reason: "Created" | "Pruned" | "Reconciled";
  message: string;
}

function plural(kind: string, n: number): string {
  return `${n} ${kind}${n === 1 ? "" : "s"}`;
}

// "10 Deployments, 10 Services and 1 ConfigMap", kinds in the order first seen.
function counts(objects: KubernetesObject[]): string {
  const byKind = new Map<string, number>();
  for (const o of objects) byKind.set(o.kind ?? "", (byKind.get(o.kind ?? "") ?? 0) + 1);
  const parts = [...byKind].map(([kind, n]) => plural(kind, n));
  const last = parts.pop() ?? "";
  return parts.length ? `${parts.join(", ")} and ${last}` : last;
}

// A pool's Deployment and Service share a name: each name is listed once.
function names(objects: KubernetesObject[]): string[] {
  return [...new Set(objects.map((o) => o.metadata?.name ?? ""))];
}

// The names that fit in `room` characters, then "and N more".
function fitNames(list: string[], room: number): string {
  let out = "";
  for (const [i, name] of list.entries()) {
    const next = out ? `${out}, ${name}` : name;
    const rest = list.length - i - 1;
    const tail = rest > 0 ? ` and ${rest} more` : "";
    if (next.length + tail.length > room) {
      return out ? `${out} and ${list.length - i} more` : `${list.length} names`;
    }
    out = next;
  }
  return out;
}

export function reconcileEvent(
  created: KubernetesObject[],
  pruned: KubernetesObject[],
): ReconcileEvent | undefined {
  if (created.length === 0 && pruned.length === 0) return undefined;
  const reason = pruned.length === 0 ? "Created" : created.length === 0 ? "Pruned" : "Reconciled";
  const heads = [
    ...(created.length ? [{ head: `created ${counts(created)}`, objects: created }] : []),
    ...(pruned.length
      ? [{ head: `pruned ${counts(pruned)} no longer in the spec`, objects: pruned }]
      : []),
  ];
  // The counts always fit; the names share what room is left.
  const fixed = heads.reduce((n, h) => n + h.head.length + 2, 0) + 2 * (heads.length - 1);
  const room = Math.floor((maxEventMessage - fixed) / heads.length);
  const message = heads.map((h) => `${h.head}: ${fitNames(names(h.objects), room)}`).join("; ");
  return { reason, message };
}
