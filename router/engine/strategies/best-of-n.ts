// Best-of-N weighted (Snell et al. §5): N independent solutions, each scored by the PRM and
// aggregated (last/min/prod); the answer with the largest total score wins.
// Generations: one per sample, the probe's included.
import { sampleInRounds } from "./rounds.ts";
import type { SearchStrategy } from "./strategy.ts";

export const bestOfN: SearchStrategy = {
  name: "bestOfN",
  selection: () => "weighted",
  // Samples beyond the probe's, if any; the probe's samples alone are still this strategy's vote.
  shape: (config) => config,
  run: (input) => sampleInRounds(input, "weighted"),
};
