// Adaptive early stopping (beyond the paper). Sampling in rounds, the vote after each round may
// already be settled: if the leader's weight minus the runner-up's exceeds the most weight the
// remaining samples could add (each adds at most 1: PRM scores and majority votes are ≤ 1), no
// outcome of those samples can change the winning answer, so they are not drawn. That "exact"
// rule saves compute for free. The "margin" rule scales the bound by `margin` < 1 to stop sooner,
// betting that the remaining samples will not all go to the runner-up with full scores.
import type { EarlyStopping } from "../options.ts";
import type { VoteResult } from "../vote.ts";

export function decisive(vote: VoteResult, remainingSamples: number, rule: EarlyStopping): boolean {
  if (rule.rule === "off" || remainingSamples <= 0 || vote.answer === "") return false;
  const margin = rule.rule === "exact" ? 1 : rule.margin;
  return vote.weight - vote.runnerUp > margin * remainingSamples;
}

// With early stopping off there is nothing to decide between rounds: one call draws them all.
export function roundSize(total: number, rule: EarlyStopping): number {
  if (rule.rule === "off") return Math.max(1, total);
  return Math.max(1, Math.ceil(total / Math.max(1, rule.rounds)));
}
