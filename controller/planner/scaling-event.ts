// The one Event a planner step records: every pool resized and every level cap changed, with why,
// in one line ("b1 proposer 1→3 (scale_up), b1 verifier 1→3 (scale_up); b2 max_level 2→0
// (budget_capped)"). One per decision, not one per pool, so `kubectl describe ttp` stays readable.
import type { Decision } from "./planner.ts";

const maxMessage = 1024;

function level(l: number | undefined): string {
  return l === undefined ? "top" : String(l);
}

export function scalingEvent(
  decisions: readonly Decision[],
): { reason: "Scaled" | "LevelsChanged"; message: string } | undefined {
  const pools = decisions.filter((d) => d.role !== undefined);
  const levels = decisions.filter((d) => d.role === undefined);
  if (pools.length === 0 && levels.length === 0) return undefined;
  const parts: string[] = [];
  if (pools.length > 0) {
    parts.push(
      pools.map((d) => `b${d.bin} ${d.role} ${d.from ?? 0}→${d.to ?? 0} (${d.reason})`).join(", "),
    );
  }
  if (levels.length > 0) {
    parts.push(
      levels
        .map((d) => `b${d.bin} max_level ${level(d.from)}→${level(d.to)} (${d.reason})`)
        .join(", "),
    );
  }
  let message = parts.join("; ");
  if (message.length > maxMessage) message = `${message.slice(0, maxMessage - 1)}…`;
  return { reason: pools.length > 0 ? "Scaled" : "LevelsChanged", message };
}
