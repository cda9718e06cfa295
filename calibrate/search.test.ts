import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeAnswer, makeDataset } from "../sim/dataset.ts";
import { DEFAULT_MODEL } from "../sim/model-config.ts";
import { problemFrom } from "../sim/problem.ts";
import { engineRunner, type StrategySpec } from "./engine-runs.ts";

// The engine's real strategies on the in-process sim, on problems picked by latent difficulty.
// Fixed datasets and request ids make every run the same.
const shape = { bins: 1, thresholds: [], budgets: [16, 64], probeSamples: 4 };
const runner = engineRunner(DEFAULT_MODEL, shape);
const bon: StrategySpec = { label: "bestOfN", strategy: "bestOfN" };
const beam: StrategySpec = { label: "beam", strategy: "beam", beamWidth: 4 };
const dvts: StrategySpec = { label: "dvts", strategy: "dvts", beamWidth: 4 };

async function accuracy(
  items: ReturnType<typeof makeDataset>,
  spec: StrategySpec,
  n: number,
): Promise<number> {
  let wins = 0;
  for (const [i, item] of items.entries()) {
    const answer = await runner.solve(item.problem, `search-${i}-${spec.label}-${n}`, spec, n, 1);
    if (judgeAnswer(item.answer, answer)) wins++;
  }
  return wins / items.length;
}

describe("search against the sim's PRM (engine strategies, in process)", () => {
  const easy = makeDataset({ count: 60, seed: 5, maxDifficulty: 0.3 });
  const hard = makeDataset({ count: 60, seed: 6, minDifficulty: 0.6, maxDifficulty: 0.9 });

  it("gives beam search a larger lead over best-of-N on hard problems than on easy ones", async () => {
    const easyLead = (await accuracy(easy, beam, 64)) - (await accuracy(easy, bon, 64));
    const hardLead = (await accuracy(hard, beam, 64)) - (await accuracy(hard, bon, 64));
    assert.ok(hardLead > 0.05, `hard lead ${hardLead}`);
    assert.ok(hardLead > easyLead + 0.05, `easy ${easyLead} vs hard ${hardLead}`);
  });

  it("draws beam search into deceptive paths on easy problems, where best-of-N and DVTS resist", async () => {
    const trapped = makeDataset({ count: 400, seed: 7, maxDifficulty: 0.3 })
      .filter((item) => problemFrom(item.problem, DEFAULT_MODEL).trap !== undefined)
      .slice(0, 40);
    const deceived = async (spec: StrategySpec) => {
      let count = 0;
      for (const [i, item] of trapped.entries()) {
        const trap = problemFrom(item.problem, DEFAULT_MODEL).trap;
        const answer = await runner.solve(item.problem, `trap-${i}-${spec.label}`, spec, 64, 1);
        if (trap && judgeAnswer(trap.answer, answer)) count++;
      }
      return count;
    };
    const byBeam = await deceived(beam);
    // The count moves with the seeds (4–6 of 40 over three sets of request ids); the claim is
    // that beam search is drawn in where the others are not.
    assert.ok(byBeam >= 3, `beam search answered the deceptive answer on ${byBeam}/40`);
    assert.ok(byBeam > 2 * (await deceived(bon)), "best-of-N");
    assert.ok(byBeam > 2 * (await deceived(dvts)), "DVTS");
  });
});
