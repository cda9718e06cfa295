// Sequential revisions (Snell et al. §6): the model rewrites its own answer, seeing its earlier
// attempts. N generations are split into parallel chains of length L = round(N · ratio)
// (ratio = the sequential fraction; N = 16, ratio 0.25 → 4 chains × 4 attempts). Each round,
// every unfinished chain makes its next attempt, prompted with its newest earlier attempts; the
// answer is chosen across all attempts of all chains, by weighted vote (or majority).
// Generations: one per attempt. The probe's samples become the first attempts of the first
// chains; probe samples beyond the chain count stay plain candidates and shorten the chains.
// Between rounds, early stopping applies as for best-of-N.
import type { ScoredCandidate } from "../candidate.ts";
import { decisive } from "./early-stop.ts";
import { type SearchStrategy, vote } from "./strategy.ts";

export const revision: SearchStrategy = {
  name: "revision",
  selection: (options) => options.revisionSelection,
  // Nothing to run when the probe's samples already are every chain's every attempt.
  shape: (config, probe) => {
    const { lengths } = chainPlan(config.generations, config.sequentialRatio, probe);
    const fresh = lengths.reduce((a, b) => a + b, 0) - Math.min(probe, lengths.length);
    return fresh > 0 ? config : undefined;
  },
  async run({ session, config, probe }) {
    const { chains, lengths } = chainPlan(config.generations, config.sequentialRatio, probe.length);
    // Per chain: attempts made (they count towards its length) and the non-empty ones, which are
    // what its next prompt carries (an empty attempt, e.g. a truncated or unreadable sample, is
    // no evidence for the model to revise).
    const made: number[] = chains.map(() => 0);
    const attempts: string[][] = chains.map(() => []);
    for (const [i, c] of probe.slice(0, chains.length).entries()) {
      made[i] = 1;
      if (c.solution.trim() !== "") attempts[i]?.push(c.solution);
    }
    const selection = session.options.revisionSelection;
    const rule = session.options.earlyStopping;
    for (let round = 1; ; round++) {
      const open = chains.filter((i) => (made[i] ?? 0) < (lengths[i] ?? 0));
      if (open.length === 0) return { stoppedEarly: false };
      const remaining = open.reduce((sum, i) => sum + (lengths[i] ?? 0) - (made[i] ?? 0), 0);
      if (decisive(vote(session.candidates, selection), remaining, rule))
        return { stoppedEarly: true };
      await session.round(async () => {
        const prompts = open.map((i) => {
          const earlier = (attempts[i] ?? []).slice(-session.options.revisionContext);
          return session.prompt([], earlier);
        });
        // One call per chain: each chain has its own seed, so chains never repeat each other.
        const results = await session.sampleAll(
          prompts.map((prompt) => ({ prompt, n: 1, stopAtStepEnd: false, newGenerations: 1 })),
        );
        const solutions = results.map((r) => session.steps(r[0]?.text ?? ""));
        let scored: ScoredCandidate[];
        if (selection === "weighted") {
          scored = await session.finish(solutions);
        } else {
          // Majority voting needs no verifier: skip its cost.
          scored = solutions.map((steps) => session.candidate(steps, []));
          session.record(scored);
        }
        open.forEach((chain, j) => {
          made[chain] = (made[chain] ?? 0) + 1;
          const solution = scored[j]?.solution ?? "";
          if (solution.trim() !== "") attempts[chain]?.push(solution);
        });
        const bestScore = scored.reduce((m, c) => Math.max(m, c.score), 0);
        session.emit({ case: "step", value: { step: round, active: open.length, bestScore } });
      });
    }
  },
};

// Chain lengths for N generations at a sequential ratio, after `probe` samples are spent: the
// first min(probe, C) chains start from a probe sample; any further probe samples come off the
// chains' total. Lengths are balanced (they differ by at most one).
export function chainPlan(
  generations: number,
  ratio: number,
  probe: number,
): { chains: number[]; lengths: number[] } {
  const length = Math.max(1, Math.round(generations * ratio));
  const count = Math.max(1, Math.ceil(generations / length));
  const extra = Math.max(0, probe - count);
  const total = generations - extra;
  const chainsUsed = Math.min(count, total);
  const lengths = Array.from(
    { length: chainsUsed },
    (_, i) => Math.floor(total / chainsUsed) + (i < total % chainsUsed ? 1 : 0),
  );
  return { chains: lengths.map((_, i) => i), lengths };
}
