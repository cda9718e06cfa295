// The planner's memory between steps, as a plain JSON object: the operator keeps it in the
// policy's status (status.planner), so a restarted or newly elected leader resumes with the same
// held demand and pending scale-downs instead of starting from minReplicas (KubeAI's state.go).
// decodeState accepts only what encodeState writes; anything else starts afresh.
import type { Role } from "../policy/names.ts";
import type { HeldDemand } from "./damping.ts";

export const plannerStateVersion = 1;

export interface BinState {
  held: HeldDemand;
  /** Replicas last desired per role (the step limit and scale-down detection start here). */
  replicas: Partial<Record<Role, number>>;
  /** The last measured tokens per request per role, kept while the bin is idle. */
  costs: Partial<Record<Role, number>>;
  /** The cap last published (0-based level); absent: none. */
  maxLevel?: number;
}

export interface PlannerState {
  version: typeof plannerStateVersion;
  /** Keyed by bin number. */
  bins: Record<string, BinState>;
}

export function emptyState(): PlannerState {
  return { version: plannerStateVersion, bins: {} };
}

export function encodeState(state: PlannerState): Record<string, unknown> {
  return JSON.parse(JSON.stringify(state)) as Record<string, unknown>;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function roleNumbers(v: unknown): Partial<Record<Role, number>> | undefined {
  if (v === undefined) return {};
  if (v === null || typeof v !== "object") return undefined;
  const out: Partial<Record<Role, number>> = {};
  for (const [k, n] of Object.entries(v)) {
    if ((k !== "proposer" && k !== "verifier") || !finite(n) || n < 0) return undefined;
    out[k] = n;
  }
  return out;
}

function decodeBin(v: unknown): BinState | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const b = v as Record<string, unknown>;
  const h = b.held as Record<string, unknown> | undefined;
  if (!h || typeof h !== "object" || !finite(h.requestsPerSecond) || h.requestsPerSecond < 0) {
    return undefined;
  }
  const held: HeldDemand = { requestsPerSecond: h.requestsPerSecond };
  if (h.lowerSince !== undefined || h.lowerPeak !== undefined) {
    if (!finite(h.lowerSince) || !finite(h.lowerPeak)) return undefined;
    held.lowerSince = h.lowerSince;
    held.lowerPeak = h.lowerPeak;
  }
  const replicas = roleNumbers(b.replicas);
  const costs = roleNumbers(b.costs);
  if (!replicas || !costs) return undefined;
  const out: BinState = { held, replicas, costs };
  if (b.maxLevel !== undefined) {
    if (!finite(b.maxLevel) || b.maxLevel < 0) return undefined;
    out.maxLevel = b.maxLevel;
  }
  return out;
}

/** The state from its stored form, or a fresh one (with the reason) when it is absent or bad. */
export function decodeState(raw: unknown): { state: PlannerState; error?: string } {
  if (raw === undefined || raw === null) return { state: emptyState() };
  const r = raw as Record<string, unknown>;
  if (typeof raw !== "object" || r.version !== plannerStateVersion) {
    return { state: emptyState(), error: `unknown planner state version ${String(r?.version)}` };
  }
  const bins: Record<string, BinState> = {};
  for (const [k, v] of Object.entries((r.bins as Record<string, unknown>) ?? {})) {
    const b = decodeBin(v);
    if (!/^[0-9]+$/.test(k) || !b) {
      return { state: emptyState(), error: `malformed planner state for bin ${k}` };
    }
    bins[k] = b;
  }
  return { state: { version: plannerStateVersion, bins } };
}
