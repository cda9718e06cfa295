// Independent full samples drawn in rounds, with early stopping between rounds: the shared core
// of best-of-N (weighted) and majority voting. Every sample counts as one generation; the probe's
// samples count towards N and take part in the first vote.
import { decisive, roundSize } from "./early-stop.ts";
import { type Selection, type StrategyInput, type StrategyOutcome, vote } from "./strategy.ts";

export async function sampleInRounds(
  { session, config, probe }: StrategyInput,
  selection: Selection,
): Promise<StrategyOutcome> {
  const rule = session.options.earlyStopping;
  const size = roundSize(config.generations, rule);
  const prompt = session.prompt();
  let drawn = probe.length;
  while (drawn < config.generations) {
    const remaining = config.generations - drawn;
    if (decisive(vote(session.candidates, selection), remaining, rule))
      return { stoppedEarly: true };
    const n = Math.min(size, remaining);
    await session.round(async () => {
      const completions = await session.sample({
        prompt,
        n,
        stopAtStepEnd: false,
        newGenerations: n,
      });
      const solutions = completions.map((c) => session.steps(c.text));
      // Majority voting needs no verifier: skip its cost.
      if (selection === "weighted") await session.finish(solutions);
      else session.record(solutions.map((steps) => session.candidate(steps, [])));
    });
    drawn += n;
  }
  return { stoppedEarly: false };
}
