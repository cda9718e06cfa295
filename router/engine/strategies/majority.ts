// Majority voting (self-consistency): N independent solutions, the most frequent normalised answer
// wins. No verifier calls beyond the probe's. Generations: one per sample, the probe's included.
import { sampleInRounds } from "./rounds.ts";
import type { SearchStrategy } from "./strategy.ts";

export const majority: SearchStrategy = {
  name: "majority",
  selection: () => "majority",
  run: (input) => sampleInRounds(input, "majority"),
};
