// Difficulty estimation: the verifier-predicted probe of Snell et al. Sample k solutions, score
// them with the PRM, and bin the mean (aggregated) score by the policy's thresholds. A high score
// means the model finds the prompt easy, so bin 1 (easiest) holds the highest scores:
//   bin = bins − |{t ∈ thresholds : t ≤ score}|.
// The probe's samples are kept: they become the first candidates of the chosen strategy.
import type { ScoredCandidate } from "./candidate.ts";
import { invalidArgument } from "./errors.ts";
import type { Session } from "./session.ts";

export function binForScore(score: number, thresholds: readonly number[], bins: number): number {
  const passed = thresholds.filter((t) => t <= score).length;
  // Clamp: a snapshot with more thresholds than bins − 1 must still name a real bin.
  return Math.min(bins, Math.max(1, bins - passed));
}

// Calibration's cut points: the probe-score quantiles, so each bin holds an equal share of
// problems; strictly increasing even when many probes tie, as a policy's thresholds must be.
export function quantileThresholds(scores: readonly number[], bins: number): number[] {
  const sorted = [...scores].sort((a, b) => a - b);
  const cuts: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((i / bins) * sorted.length))] ?? 0;
    const previous = cuts[cuts.length - 1];
    cuts.push(previous !== undefined && q <= previous ? previous + 1e-6 : q);
  }
  return cuts;
}

export function checkHint(hint: number, bins: number): number {
  if (!Number.isInteger(hint) || hint < 1 || hint > bins) {
    throw invalidArgument(`difficulty_hint must be a bin between 1 and ${bins}, got ${hint}`);
  }
  return hint;
}

export interface ProbeResult {
  score: number;
  candidates: ScoredCandidate[];
}

// k full solutions in one call (one seed, vLLM's n), scored in one verifier call.
export async function probe(session: Session, k: number): Promise<ProbeResult> {
  return session.round(async () => {
    const prompt = session.prompt();
    const completions = await session.sample({
      prompt,
      n: k,
      stopAtStepEnd: false,
      newGenerations: k,
    });
    const candidates = await session.finish(completions.map((c) => session.steps(c.text)));
    const score = candidates.reduce((sum, c) => sum + c.score, 0) / Math.max(1, candidates.length);
    return { score, candidates };
  });
}
