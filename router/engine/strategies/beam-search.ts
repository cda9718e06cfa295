// The beam-search loop shared by beam and lookahead: keep the `keep` best unfinished prefixes,
// expand each by `width` one-step continuations, set finished solutions aside, repeat up to the
// step cap. How children are ranked is the only difference between the two strategies.
import type { Session } from "../session.ts";
import { type Beam, best, emitStep, expand, recordFinished, root } from "./tree.ts";

export interface BeamPlan {
  keep: number;
  width: number;
  maxSteps: number;
  // Generations the search counts; reserved by its first call, so a search that does not fit
  // never starts and one cut before it starts counts none.
  generations: number;
  // Sets each child's score (and step scores) for ranking.
  rank: (session: Session, children: Beam[]) => Promise<void>;
}

export async function beamSearch(session: Session, plan: BeamPlan): Promise<void> {
  const total = plan.keep * plan.width;
  let active: Beam[] = [root()];
  let finished = 0;
  for (let step = 1; step <= plan.maxSteps && active.length > 0; step++) {
    // The first step grows the empty prefix into all N beams at once (one call).
    const fanout = step === 1 ? total : plan.width;
    const children = await session.round(async () => {
      const grown = await expand(
        session,
        active,
        () => fanout,
        () => (step === 1 ? plan.generations : 0),
      );
      await plan.rank(session, grown);
      return grown;
    });
    const done = children.filter((c) => c.finished);
    recordFinished(session, done);
    finished += done.length;
    active = best(
      children.filter((c) => !c.finished),
      plan.keep,
    );
    emitStep(session, step, active.length, children);
    // As in search-and-learn: stop once N solutions are complete.
    if (finished >= total) return;
  }
  // Hit the step cap: the surviving prefixes are the search's last word (usually unanswered).
  recordFinished(session, active);
}

// Splits a search budget into `keep` beams of `width`; width never exceeds the budget.
export function beamShape(budget: number, width: number): { keep: number; width: number } {
  const w = Math.max(1, Math.min(width, budget));
  return { keep: Math.max(1, Math.floor(budget / w)), width: w };
}
