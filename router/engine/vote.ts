// Voting over normalised answers. Weighted voting (best-of-N weighted, Snell et al.) sums the
// solution scores per answer; majority voting counts them. Both share one tally so ties break the
// same way everywhere: more weight, then more votes, then the best single score, then the
// answer string — never arrival order, so the winner does not depend on which call returned first.

export interface Ballot {
  // Normalised answer; "" means the solution gave no extractable answer.
  answer: string;
  // Solution score in [0, 1] (weighted) or 1 (majority).
  weight: number;
}

export interface Tally {
  answer: string;
  weight: number;
  count: number;
  best: number;
}

export interface VoteResult {
  // The winning answer; "" only when no ballot carried an answer.
  answer: string;
  weight: number;
  // The runner-up's weight (0 when unopposed): what early stopping compares against.
  runnerUp: number;
  // Every answer's tally, winner first.
  tallies: Tally[];
}

export function compareTallies(a: Tally, b: Tally): number {
  return (
    b.weight - a.weight ||
    b.count - a.count ||
    b.best - a.best ||
    (a.answer < b.answer ? -1 : a.answer > b.answer ? 1 : 0)
  );
}

// Ballots without an answer do not vote: a truncated solution is no evidence for "no answer".
// They still win when nothing else was said, so a caller always gets a result.
export function weightedVote(ballots: readonly Ballot[]): VoteResult {
  const byAnswer = new Map<string, Tally>();
  for (const { answer, weight } of ballots) {
    if (answer === "") continue;
    const t = byAnswer.get(answer) ?? { answer, weight: 0, count: 0, best: 0 };
    t.weight += weight;
    t.count += 1;
    t.best = Math.max(t.best, weight);
    byAnswer.set(answer, t);
  }
  const tallies = [...byAnswer.values()].sort(compareTallies);
  const [first, second] = tallies;
  if (!first) return { answer: "", weight: 0, runnerUp: 0, tallies: [] };
  return { answer: first.answer, weight: first.weight, runnerUp: second?.weight ?? 0, tallies };
}

export function majorityVote(answers: readonly string[]): VoteResult {
  return weightedVote(answers.map((answer) => ({ answer, weight: 1 })));
}
