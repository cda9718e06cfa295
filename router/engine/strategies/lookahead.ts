// Lookahead search (Snell et al. §5.1): beam search where a candidate step is ranked by the PRM
// score at the end of a k-step greedy (temperature 0) rollout from it; the rollout is discarded
// and only the step is kept. Generations: as in the paper, each beam costs k + 1 — its own path
// plus its rollouts — so B = ⌊(N − probe samples) / (k + 1)⌋ beams (a multiple of M) and
// B · (k + 1) generations are counted when the search starts.
import { aggregate } from "../aggregate.ts";
import { probability } from "../candidate.ts";
import type { Session } from "../session.ts";
import { beamSearch, beamShape, treeShape } from "./beam-search.ts";
import type { SearchStrategy } from "./strategy.ts";
import type { Beam } from "./tree.ts";

export const lookahead: SearchStrategy = {
  name: "lookahead",
  selection: () => "weighted",
  shape: (config, probe) => treeShape(config, probe, config.lookahead + 1),
  async run({ session, config, probe }) {
    const k = config.lookahead;
    const beams = Math.floor((config.generations - probe.length) / (k + 1));
    if (beams <= 0) return { stoppedEarly: false };
    const { keep, width } = beamShape(beams, config.beamWidth);
    await beamSearch(session, {
      keep,
      width,
      maxSteps: config.maxSteps,
      generations: keep * width * (k + 1),
      dedupe: session.options.beamDedupe,
      rank: (s, children) => rankByRollout(s, children, k),
    });
    return { stoppedEarly: false };
  },
};

async function rankByRollout(session: Session, children: Beam[], k: number): Promise<void> {
  // Roll every unfinished child forward k steps greedily, all children in parallel per step.
  const rollouts = children.map((c) => ({ steps: [...c.steps], finished: c.finished }));
  for (let depth = 0; depth < k; depth++) {
    const open = rollouts.filter((r) => !r.finished);
    if (open.length === 0) break;
    const results = await session.sampleAll(
      open.map((r) => ({
        prompt: session.prompt(r.steps),
        n: 1,
        stopAtStepEnd: true,
        temperature: 0,
        newGenerations: 0,
      })),
    );
    open.forEach((r, i) => {
      const c = results[i]?.[0];
      const added = c ? session.steps(c.text) : [];
      r.steps.push(...added);
      r.finished = !c || c.finished || added.length === 0;
    });
  }
  const scores = await session.score(rollouts.map((r) => r.steps));
  children.forEach((child, i) => {
    const full = (scores[i] ?? []).map(probability);
    // A PRM's step score depends only on the steps so far, so the child's own steps keep theirs.
    child.stepScores = full.slice(0, child.steps.length);
    child.score = aggregate(full, session.aggregation);
  });
}
