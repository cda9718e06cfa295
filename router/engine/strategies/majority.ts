// Majority voting (self-consistency): N independent solutions, the most frequent normalised answer
// wins. No verifier calls beyond the probe's. Generations: one per sample, the probe's included.
import { sampleInRounds } from "./rounds.ts";
import type { SearchStrategy } from "./strategy.ts";

export const majority: SearchStrategy = {
  name: "majority",
  selection: () => "majority",
  // Samples beyond the probe's, if any; the probe's samples alone are still this strategy's vote.
  shape: (config) => config,
  run: (input) => sampleInRounds(input, "majority"),
};
