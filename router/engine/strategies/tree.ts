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

export interface Expansion {
  // Continuations of beam i (vLLM's n).
  fanout: (i: number) => number;
  // Generations the call for beam i starts (non-zero only on the first step).
  newGenerations?: (i: number) => number;
  // The step cap's last iteration: generate each continuation to the end of the solution
  // instead of one step (as search-and-learn's last iteration does), so the surviving prefixes
  // finish with an answer.
  toEnd?: boolean;
}

// Expands beam i by fanout(i) continuations: one proposer call per beam (vLLM's n, one seed
// range each), all in parallel. A continuation that ends the solution (or adds no step)
// finishes; one cut by max_tokens on a step call is a truncated step and stays open.
export async function expand(
  session: Session,
  beams: readonly Beam[],
  { fanout, newGenerations = () => 0, toEnd = false }: Expansion,
): Promise<Beam[]> {
  const results = await session.sampleAll(
    beams.map((beam, i) => ({
      prompt: session.prompt(beam.steps),
      n: fanout(i),
      stopAtStepEnd: !toEnd,
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
        finished: toEnd || c.finished || added.length === 0,
        parent: i,
      };
    }),
  );
}

// Drops beams whose steps repeat an earlier beam's (search-and-learn's filter_duplicates, on in
// its recipes): identical prefixes get identical PRM scores and would crowd out diverse ones.
export function distinct(beams: readonly Beam[]): Beam[] {
  const seen = new Set<string>();
  return beams.filter((b) => {
    const key = JSON.stringify(b.steps);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
