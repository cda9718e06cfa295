import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PolicySnapshotSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import { EndpointPool } from "../router/backends/endpoint-pool.ts";
import { DEFAULT_CALL_OPTIONS } from "../router/backends/pool-caller.ts";
import { PrmVerifier } from "../router/backends/prm-verifier.ts";
import { VllmProposer } from "../router/backends/vllm-proposer.ts";
import type { GenerateRequest, PromptInput } from "../router/engine/backend.ts";
import { policyFormats } from "../router/formats/index.ts";
import { type Fleet, startFleet } from "../sim/fleet.ts";
import { compileFormat, MULL_FORMAT, QWEN_CHAT_FORMAT } from "../sim/format.ts";
import { DEFAULT_MODEL } from "../sim/model-config.ts";
import { problemFrom } from "../sim/problem.ts";
import { rngFrom } from "../sim/random.ts";
import { continueSolution } from "../sim/solution.ts";
import { InProcessProposer, InProcessVerifier } from "./in-process.ts";
import { matchingPolicyFormats } from "./sim-formats.ts";

const signal = new AbortController().signal;
const problem = "Problem 12: a train leaves at noon; when does it arrive?";
const steps = ["Step 1: We compute: 2 × 3 + (10 - 6) = 10", "Step 2: So x = 11"];

const input = (init: Partial<PromptInput> = {}): PromptInput => ({
  problem,
  attempts: [],
  steps: [],
  ...init,
});

function request(init: Partial<GenerateRequest>): GenerateRequest {
  return {
    prompt: input(),
    n: 4,
    maxTokens: 2048,
    temperature: 0.8,
    seed: 7,
    stopAtStepEnd: false,
    signal,
    ...init,
  };
}

const cases: [string, Partial<GenerateRequest>][] = [
  ["whole solutions", {}],
  ["one step", { stopAtStepEnd: true, n: 6 }],
  ["one step after a partial solution", { stopAtStepEnd: true, prompt: input({ steps }) }],
  ["a revision", { prompt: input({ attempts: ["Step 1: \\boxed{3}."] }) }],
  ["a max_tokens cut", { maxTokens: 9 }],
  ["a max_tokens cut inside a step", { maxTokens: 9, stopAtStepEnd: true }],
  ["greedy decoding", { temperature: 0, n: 1 }],
];

// The sim in its default format with the router's defaults, and the sim in a chat format with a
// policy that matches it in completion mode (the router renders the chat template) and in chat
// mode (the sim's chat endpoint renders it).
const setups = [
  { name: "mull, default policy", sim: MULL_FORMAT, policy: {} },
  {
    name: "qwen-chat, completion mode, qwen2.5-math-prm",
    sim: QWEN_CHAT_FORMAT,
    policy: matchingPolicyFormats(QWEN_CHAT_FORMAT, "completion", { format: "qwen2.5-math-prm" }),
  },
  {
    name: "qwen-chat, chat mode",
    sim: QWEN_CHAT_FORMAT,
    policy: matchingPolicyFormats(QWEN_CHAT_FORMAT, "chat"),
  },
];

for (const setup of setups) {
  describe(`in-process backends answer as the router's HTTP clients against the sim: ${setup.name}`, () => {
    const simFormats = [compileFormat(setup.sim)];
    const formats = policyFormats(create(PolicySnapshotSchema, setup.policy));
    let fleet: Fleet;
    let http: { proposer: VllmProposer; verifier: PrmVerifier };
    before(async () => {
      fleet = await startFleet({ bins: 1, formats: simFormats });
      const bin = fleet.bins[0];
      assert.ok(bin);
      const affinity = new Map();
      http = {
        proposer: new VllmProposer({
          pool: new EndpointPool("proposer", bin.proposer.model, bin.proposer.endpoints),
          affinity,
          format: formats.proposer,
          call: DEFAULT_CALL_OPTIONS,
        }),
        verifier: new PrmVerifier({
          pool: new EndpointPool("verifier", bin.verifier.model, bin.verifier.endpoints),
          affinity,
          format: formats.verifier,
          call: DEFAULT_CALL_OPTIONS,
        }),
      };
    });
    after(() => fleet.stop());
    const local = {
      proposer: new InProcessProposer(formats.proposer, { simFormats }),
      verifier: new InProcessVerifier(formats.verifier, { simFormats }),
    };

    for (const [name, init] of cases) {
      it(`samples exactly what HTTP samples: ${name}`, async () => {
        const r = request(init);
        const mine = await local.proposer.generate(r);
        const theirs = await http.proposer.generate(r);
        assert.deepEqual(
          mine.completions.map((c) => [c.text, c.finished]),
          theirs.completions.map((c) => [c.text, c.finished]),
        );
        assert.equal(mine.promptTokens, theirs.promptTokens);
        const total = (c: { completionTokens: number }[]) =>
          c.reduce((s, x) => s + x.completionTokens, 0);
        assert.equal(total(mine.completions), total(theirs.completions));
      });
    }

    it("continues a partial solution: a step call after steps starts a new step", async () => {
      const r = request({ stopAtStepEnd: true, n: 3, prompt: input({ steps }) });
      for (const c of (await http.proposer.generate(r)).completions) {
        assert.match(c.text, /^Step 3: /);
      }
    });

    it("scores exactly what HTTP scores, with the same token count", async () => {
      const p = problemFrom(problem, DEFAULT_MODEL);
      const solutions = [0, 1, 2, 3].map((s) => continueSolution(p, [], rngFrom(s), DEFAULT_MODEL));
      solutions.push(solutions[0]?.slice(0, 2) ?? [], ["not a step the sim can read"]);
      const mine = await local.verifier.score({ problem, solutions, signal });
      const theirs = await http.verifier.score({ problem, solutions, signal });
      assert.deepEqual(mine, theirs);
    });
  });
}

describe("in-process backends", () => {
  it("honour an aborted signal", async () => {
    const formats = policyFormats(create(PolicySnapshotSchema, {}));
    const aborted = AbortSignal.abort();
    await assert.rejects(
      new InProcessProposer(formats.proposer).generate(request({ signal: aborted })),
    );
    await assert.rejects(
      new InProcessVerifier(formats.verifier).score({
        problem,
        solutions: [["x"]],
        signal: aborted,
      }),
    );
  });
});
