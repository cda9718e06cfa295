// Building blocks of the PRM-guided tree searches (beam, lookahead, DVTS): a partial solution
// (a "beam"), its expansion by one step, and its scoring. Generations for these searches are
// counted once, by the first expansion (the calls that start the beams); the step expansions
// that follow cost tokens and backend calls, not new generations.
import { aggregate } from "../aggregate.ts";
import { probability } from "../candidate.ts";
import type { Session } from "../session.ts";

export interface Beam {
  steps: string[];
  stepScores: number[];
  // The score the search ranks by (the aggregated step scores, or a lookahead rollout's).
  score: number;
  finished: boolean;
  // Index of the beam this one was expanded from (DVTS keeps subtrees apart with it).
  parent: number;
}

export const root = (): Beam => ({
  steps: [],
  stepScores: [],
  score: 0,
  finished: false,
  parent: -1,
});

// Expands beam i by fanout[i] one-step continuations: one proposer call per beam (vLLM's n, one
// seed each), all in parallel. A continuation that ends the solution (or adds no step) finishes.
export async function expand(
  session: Session,
  beams: readonly Beam[],
  fanout: (i: number) => number,
  // Generations the call for beam i starts (non-zero only on the first step).
  newGenerations: (i: number) => number = () => 0,
): Promise<Beam[]> {
  const results = await session.sampleAll(
    beams.map((beam, i) => ({
      prompt: session.prompt(beam.steps),
      n: fanout(i),
      stopAtStepEnd: true,
      newGenerations: newGenerations(i),
    })),
  );
  return results.flatMap((completions, i) =>
    completions.map((c) => {
      const added = session.steps(c.text);
      return {
        steps: [...(beams[i]?.steps ?? []), ...added],
        stepScores: [],
        score: 0,
        finished: c.finished || added.length === 0,
        parent: i,
      };
    }),
  );
}

// PRM-scores every beam's prefix in one verifier call.
export async function scorePrefixes(session: Session, beams: Beam[]): Promise<void> {
  const scores = await session.score(beams.map((b) => b.steps));
  beams.forEach((b, i) => {
    b.stepScores = (scores[i] ?? []).map(probability);
    b.score = aggregate(b.stepScores, session.aggregation);
  });
}

// The k best beams; ties keep the earlier beam, so a search replays identically.
export function best(beams: readonly Beam[], k: number): Beam[] {
  return beams
    .map((b, i) => ({ b, i }))
    .sort((x, y) => y.b.score - x.b.score || x.i - y.i)
    .slice(0, k)
    .map(({ b }) => b);
}

// Finished beams become candidates of the request (reported as CandidateScored events).
export function recordFinished(session: Session, beams: readonly Beam[]): void {
  session.record(beams.map((b) => session.candidate(b.steps, b.stepScores)));
}

export function emitStep(
  session: Session,
  step: number,
  active: number,
  beams: readonly Beam[],
): void {
  const bestScore = beams.reduce((m, b) => Math.max(m, b.score), 0);
  session.emit({ case: "step", value: { step, active, bestScore } });
}
