// Tokens per request per role at every budget level of a bin. Measured costs (the routers'
// reports, taken at the level in force) win; other levels are scaled from them by the table's
// calibrated costs, or by generations when calibration wrote none. Before anything is measured the
// calibrated costs are used as they are; with neither, the cost is unknown (sizing keeps
// minReplicas).
import type { Role } from "../policy/names.ts";

export interface LevelCostInput {
  generations: number;
  proposerTokens?: number;
  verifierTokens?: number;
}

export type CostSource = "measured" | "calibrated" | "none";

export interface RoleCost {
  tokensPerRequest: number | undefined;
  source: CostSource;
}

const tableField = { proposer: "proposerTokens", verifier: "verifierTokens" } as const;

/**
 * `reference` says at which levels the measured cost was spent: one level, or the share of
 * requests per level (the routers report arrivals per level), whose mix the measurement averages.
 */
export function levelCost(
  levels: readonly LevelCostInput[],
  level: number,
  role: Role,
  reference: number | readonly number[],
  measured: number | undefined,
): RoleCost {
  const at = levels[level];
  if (!at) throw new Error(`level ${level} is not in the table`);
  const weights =
    typeof reference === "number"
      ? levels.map((_, i) => (i === reference ? 1 : 0))
      : levels.map((_, i) => reference[i] ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0 || (typeof reference === "number" && !levels[reference])) {
    throw new Error(`reference level ${String(reference)} is not in the table`);
  }
  const table = (l: LevelCostInput) => l[tableField[role]];
  if (measured !== undefined) {
    // Scale by the table's costs when every level involved has one, else by generations.
    const involved = levels.filter((l, i) => l === at || (weights[i] ?? 0) > 0);
    const byTable = involved.every((l) => (table(l) ?? 0) > 0);
    const cost = (l: LevelCostInput) => (byTable ? (table(l) as number) : l.generations);
    const mix = levels.reduce((n, l, i) => {
      const w = weights[i] ?? 0;
      return w > 0 ? n + (w / total) * cost(l) : n;
    }, 0);
    return { tokensPerRequest: (measured * cost(at)) / mix, source: "measured" };
  }
  const calibrated = table(at);
  if (calibrated !== undefined) return { tokensPerRequest: calibrated, source: "calibrated" };
  return { tokensPerRequest: undefined, source: "none" };
}
