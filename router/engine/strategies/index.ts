// Strategy name → implementation.
import type { StrategyName } from "../table.ts";
import { beam } from "./beam.ts";
import { bestOfN } from "./best-of-n.ts";
import { dvts } from "./dvts.ts";
import { lookahead } from "./lookahead.ts";
import { majority } from "./majority.ts";
import { revision } from "./revision.ts";
import type { SearchStrategy } from "./strategy.ts";

export const STRATEGIES: Record<StrategyName, SearchStrategy> = {
  bestOfN,
  majority,
  beam,
  lookahead,
  dvts,
  revision,
};
