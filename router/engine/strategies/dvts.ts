// Diverse verifier tree search (search-and-learn): split N into N/M independent subtrees; each
// grows greedily — expand its one prefix by M, keep the PRM's favourite child — until that
// favourite finishes. Unlike beam search, one strong prefix cannot take over every beam, so the
// final weighted vote sees diverse solutions. Subtrees step in lockstep so each step is one
// round: N/M proposer calls in parallel and one verifier call.
// Generations: the N beams (N − probe samples, rounded down to a multiple of M), counted at the
// start, as for beam search.
import { beamShape, treeShape } from "./beam-search.ts";
import type { SearchStrategy } from "./strategy.ts";
import { type Beam, best, emitStep, expand, recordFinished, root, scorePrefixes } from "./tree.ts";

export const dvts: SearchStrategy = {
  name: "dvts",
  selection: () => "weighted",
  shape: (config, probe) => treeShape(config, probe),
  async run({ session, config, probe }) {
    const budget = config.generations - probe.length;
    if (budget <= 0) return { stoppedEarly: false };
    const { keep: subtrees, width } = beamShape(budget, config.beamWidth);
    // active[t] is subtree t's current prefix, or undefined once the subtree has finished.
    let active: (Beam | undefined)[] = Array.from({ length: subtrees }, root);
    for (let step = 1; step <= config.maxSteps; step++) {
      const open = active.flatMap((b, t) => (b ? [{ b, t }] : []));
      if (open.length === 0) return { stoppedEarly: false };
      const children = await session.round(async () => {
        const grown = await expand(
          session,
          open.map((o) => o.b),
          {
            fanout: () => width,
            newGenerations: () => (step === 1 ? width : 0),
            // The step cap: each subtree's favourite is generated to the end of its solution.
            toEnd: step === config.maxSteps,
          },
        );
        await scorePrefixes(session, grown);
        return grown;
      });
      recordFinished(
        session,
        children.filter((c) => c.finished),
      );
      const next: (Beam | undefined)[] = Array.from({ length: subtrees }, () => undefined);
      open.forEach(({ t }, i) => {
        const [favourite] = best(
          children.filter((c) => c.parent === i),
          1,
        );
        next[t] = favourite && !favourite.finished ? favourite : undefined;
      });
      active = next;
      emitStep(session, step, active.filter(Boolean).length, children);
    }
    return { stoppedEarly: false };
  },
};
