// Step scores → one solution score. A PRM scores every step; Snell et al. (and search-and-learn)
// compare three reductions and find `last` best: the last step's score already conditions on
// the whole solution, while `min` and `prod` over-punish long solutions.
import { Aggregation } from "../../proto/gen/mull/v1/router_pb.ts";

export type AggregationName = "last" | "min" | "prod";

// The proto enum as a name; UNSPECIFIED (or an unknown number) means the paper's default, last.
export function aggregationName(value: Aggregation | number): AggregationName {
  if (value === Aggregation.min) return "min";
  if (value === Aggregation.prod) return "prod";
  return "last";
}

// A solution with no scored steps gets 0: nothing vouches for it.
export function aggregate(stepScores: readonly number[], how: AggregationName): number {
  if (stepScores.length === 0) return 0;
  switch (how) {
    case "last":
      return stepScores[stepScores.length - 1] ?? 0;
    case "min":
      return Math.min(...stepScores);
    case "prod":
      return stepScores.reduce((p, s) => p * s, 1);
  }
}
