// Beam search against the PRM (Snell et al. §5.1): N beams; each step, keep the N/M best prefixes
// by PRM score and expand each by M. Final answer by weighted vote over finished solutions.
// Generations: the N beams (N − probe samples, rounded down to a multiple of M), counted once
// at the start; each step's N one-step expansions cost tokens, not generations.
import { beamSearch, beamShape, treeShape } from "./beam-search.ts";
import type { SearchStrategy } from "./strategy.ts";
import { scorePrefixes } from "./tree.ts";

export const beam: SearchStrategy = {
  name: "beam",
  selection: () => "weighted",
  shape: (config, probe) => treeShape(config, probe),
  async run({ session, config, probe }) {
    const budget = config.generations - probe.length;
    if (budget <= 0) return { stoppedEarly: false };
    const { keep, width } = beamShape(budget, config.beamWidth);
    await beamSearch(session, {
      keep,
      width,
      maxSteps: config.maxSteps,
      generations: keep * width,
      dedupe: session.options.beamDedupe,
      rank: scorePrefixes,
    });
    return { stoppedEarly: false };
  },
};
