// Every strategy end to end against the sim in formats other than its default: a policy in the
// sim's format gets right answers from every strategy; a policy in another format gets answers
// that a model reading a foreign layout would give (mostly wrong), and nothing fails.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { matchingPolicyFormats } from "../../calibrate/sim-formats.ts";
import { Strategy, StrategySchema } from "../../proto/gen/mull/v1/router_pb.ts";
import { judgeAnswer, makeDataset } from "../../sim/dataset.ts";
import {
  compileFormat,
  QWEN_CHAT_FORMAT,
  SHEPHERD_FORMAT,
  type SimFormatData,
} from "../../sim/format.ts";
import { POLICY, type PolicyFormatsInit, type Stack, startStack } from "./harness.ts";

const strategies = StrategySchema.values.filter((v) => v.number !== 0);
// Easy problems: a model that reads its prompt right solves most of them with 4 generations.
const problems = makeDataset({ count: 6, seed: 21, maxDifficulty: 0.25 });

async function accuracy(stack: Stack, strategy: Strategy): Promise<number> {
  let right = 0;
  for (const [i, item] of problems.entries()) {
    const response = await stack.client.solve(
      {
        policy: POLICY,
        prompt: item.problem,
        strategy,
        budget: { maxGenerations: 4 },
        requestId: `${strategy}-${i}`,
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(response.config?.strategy, strategy);
    if (judgeAnswer(item.answer, response.answer)) right++;
  }
  return right / problems.length;
}

const level = {
  strategy: Strategy.bestOfN,
  generations: 4,
  beamWidth: 2,
  lookahead: 1,
  sequentialRatio: 0.5,
  maxSteps: 12,
};

interface Setup {
  name: string;
  sim: SimFormatData;
  formats: PolicyFormatsInit;
}

const matched: Setup[] = [
  {
    name: "qwen-chat sim, completion mode with its chat template, qwen2.5-math-prm",
    sim: QWEN_CHAT_FORMAT,
    formats: matchingPolicyFormats(QWEN_CHAT_FORMAT, "completion", { format: "qwen2.5-math-prm" }),
  },
  {
    name: "qwen-chat sim, chat mode",
    sim: QWEN_CHAT_FORMAT,
    formats: matchingPolicyFormats(QWEN_CHAT_FORMAT, "chat"),
  },
  {
    name: "shepherd sim, custom PRM format with positiveIndex 0",
    sim: SHEPHERD_FORMAT,
    formats: matchingPolicyFormats(SHEPHERD_FORMAT),
  },
];

const results = new Map<string, number>();

for (const setup of matched) {
  describe(`formats: a policy in the sim's format (${setup.name})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        bins: 1,
        levels: [level],
        simFormats: [compileFormat(setup.sim)],
        formats: setup.formats,
      });
    });
    after(() => stack.close());
    for (const { name, number } of strategies) {
      it(`${name} answers right`, async () => {
        const acc = await accuracy(stack, number as Strategy);
        results.set(`${setup.sim.name}/${name}`, acc);
        assert.ok(acc >= 0.5, `${name}: ${acc * 100}% right on easy problems`);
      });
    }
  });
}

describe("formats: a policy in another format than the sim's", () => {
  let stack: Stack;
  before(async () => {
    // The router speaks its defaults (Mull's plain prompt, blank-line steps, plain PRM input);
    // the sim only understands the chat format.
    stack = await startStack({
      bins: 1,
      levels: [level],
      simFormats: [compileFormat(QWEN_CHAT_FORMAT)],
    });
  });
  after(() => stack.close());
  for (const { name, number } of strategies) {
    it(`${name} still answers, mostly wrong, as a model reading a foreign layout`, async () => {
      const acc = await accuracy(stack, number as Strategy);
      const right = results.get(`qwen-chat/${name}`);
      assert.ok(acc <= 0.34, `${name}: ${acc * 100}% right in the wrong format`);
      if (right !== undefined) assert.ok(acc < right, `${name}: ${acc} vs ${right} matched`);
    });
  }
});
