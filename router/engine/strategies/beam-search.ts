// The beam-search loop shared by beam and lookahead: keep the `keep` best unfinished prefixes,
// expand each by `width` one-step continuations, set finished solutions aside, repeat up to the
// step cap, whose iteration runs every survivor to the end of its solution. How children are
// ranked is the only difference between the two strategies.
import type { Session } from "../session.ts";
import type { ResolvedConfig } from "../table.ts";
import { type Beam, best, distinct, emitStep, expand, recordFinished, root } from "./tree.ts";

export interface BeamPlan {
  keep: number;
  width: number;
  maxSteps: number;
  // Generations the search counts; reserved by its first call, so a search that does not fit
  // never starts and one cut before it starts counts none.
  generations: number;
  // Drop children whose prefix repeats another child's before keeping the best.
  dedupe: boolean;
  // Sets each child's score (and step scores) for ranking.
  rank: (session: Session, children: Beam[]) => Promise<void>;
}

export async function beamSearch(session: Session, plan: BeamPlan): Promise<void> {
  const total = plan.keep * plan.width;
  let active: Beam[] = [root()];
  let finished = 0;
  for (let step = 1; step <= plan.maxSteps && active.length > 0; step++) {
    // The first step grows the empty prefix into all N beams at once (one call). The last one
    // (the step cap) generates every surviving prefix to the end of its solution.
    const fanout = step === 1 ? total : plan.width;
    const children = await session.round(async () => {
      const grown = await expand(session, active, {
        fanout: () => fanout,
        newGenerations: () => (step === 1 ? plan.generations : 0),
        toEnd: step === plan.maxSteps,
      });
      await plan.rank(session, grown);
      return grown;
    });
    const done = children.filter((c) => c.finished);
    recordFinished(session, done);
    finished += done.length;
    const open = children.filter((c) => !c.finished);
    active = best(plan.dedupe ? distinct(open) : open, plan.keep);
    emitStep(session, step, active.length, children);
    // As in search-and-learn: stop once N solutions are complete.
    if (finished >= total) return;
  }
}

// The shape of a tree search over `beams` beams (each costing `cost` generations) after `probe`
// samples: width cut to the beams, beams rounded down to a multiple of it.
export function treeShape(
  config: ResolvedConfig,
  probe: number,
  cost = 1,
): ResolvedConfig | undefined {
  const beams = Math.floor((config.generations - probe) / cost);
  if (beams <= 0) return undefined;
  const { keep, width } = beamShape(beams, config.beamWidth);
  return { ...config, beamWidth: width, generations: probe + keep * width * cost };
}

// Splits a search budget into `keep` beams of `width`; width never exceeds the budget.
export function beamShape(budget: number, width: number): { keep: number; width: number } {
  const w = Math.max(1, Math.min(width, budget));
  return { keep: Math.max(1, Math.floor(budget / w)), width: w };
}
