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

export function levelCost(
  levels: readonly LevelCostInput[],
  level: number,
  role: Role,
  reference: number,
  measured: number | undefined,
): RoleCost {
  const at = levels[level];
  const ref = levels[reference];
  if (!at || !ref) throw new Error(`level ${level} or ${reference} is not in the table`);
  const table = (l: LevelCostInput) => l[tableField[role]];
  if (measured !== undefined) {
    const tAt = table(at);
    const tRef = table(ref);
    const scale =
      tAt !== undefined && tRef !== undefined && tRef > 0
        ? tAt / tRef
        : at.generations / ref.generations;
    return { tokensPerRequest: measured * scale, source: "measured" };
  }
  const calibrated = table(at);
  if (calibrated !== undefined) return { tokensPerRequest: calibrated, source: "calibrated" };
  return { tokensPerRequest: undefined, source: "none" };
}
