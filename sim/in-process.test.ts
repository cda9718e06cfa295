import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { endsSolution } from "../router/backends/vllm-proposer.ts";
import type { GenerateRequest } from "../router/engine/backend.ts";
import {
  DEFAULT_TEMPLATES,
  revisePrompt,
  solvePrompt,
  verifierInput,
} from "../router/engine/prompts.ts";
import { type Fleet, startFleet } from "./fleet.ts";
import { InProcessProposer, InProcessVerifier } from "./in-process.ts";
import { DEFAULT_MODEL } from "./model-config.ts";
import { problemFrom } from "./problem.ts";
import { rngFrom } from "./random.ts";
import { continueSolution } from "./solution.ts";
import { postJson } from "./testing.ts";

const t = DEFAULT_TEMPLATES;
const signal = new AbortController().signal;
const problem = "Problem 12: a train leaves at noon; when does it arrive?";

interface HttpChoice {
  index: number;
  text: string;
  finish_reason: string;
  stop_reason: string | null;
}

// The body router/backends/vllm-proposer.ts posts for a GenerateRequest.
function vllmBody(r: GenerateRequest) {
  return {
    model: "meta-llama/Llama-3.2-1B-Instruct",
    prompt: r.prompt,
    n: r.n,
    max_tokens: r.maxTokens,
    temperature: r.temperature,
    seed: r.seed,
    include_stop_str_in_output: true,
    ...(r.stopAtStepEnd ? { stop: [t.stepDelimiter] } : {}),
  };
}

function request(init: Partial<GenerateRequest>): GenerateRequest {
  return {
    prompt: solvePrompt(t, problem, []),
    n: 4,
    maxTokens: 2048,
    temperature: 0.8,
    seed: 7,
    stopAtStepEnd: false,
    signal,
    ...init,
  };
}

describe("in-process backends", () => {
  let fleet: Fleet;
  let completions = "";
  let pooling = "";
  before(async () => {
    fleet = await startFleet({ bins: 1 });
    completions = `${fleet.bins[0]?.proposer.endpoints[0]}/v1/completions`;
    pooling = `${fleet.bins[0]?.verifier.endpoints[0]}/pooling`;
  });
  after(() => fleet.stop());

  const steps = ["Step 1: We compute: 2 × 3 + (10 - 6) = 10", "Step 2: So x = 11"];
  const cases: [string, Partial<GenerateRequest>][] = [
    ["whole solutions", {}],
    ["one step", { stopAtStepEnd: true, n: 6 }],
    [
      "one step after a partial solution",
      { stopAtStepEnd: true, prompt: solvePrompt(t, problem, steps) },
    ],
    ["a revision", { prompt: revisePrompt(t, problem, ["Step 1: \\boxed{3}."]) }],
    ["a max_tokens cut", { maxTokens: 9 }],
    ["a max_tokens cut inside a step", { maxTokens: 9, stopAtStepEnd: true }],
    ["greedy decoding", { temperature: 0, n: 2 }],
  ];
  for (const [name, init] of cases) {
    it(`samples exactly what HTTP samples: ${name}`, async () => {
      const r = request(init);
      const local = await new InProcessProposer().generate(r);
      const { status, json } = await postJson(completions, vllmBody(r));
      assert.equal(status, 200);
      const choices = json.choices as HttpChoice[];
      const usage = json.usage as { prompt_tokens: number; completion_tokens: number };
      assert.deepEqual(
        local.completions.map((c) => c.text),
        choices.map((c) => c.text),
      );
      assert.deepEqual(
        local.completions.map((c) => c.finished),
        choices.map(endsSolution),
      );
      assert.equal(local.promptTokens, usage.prompt_tokens);
      assert.equal(
        local.completions.reduce((s, c) => s + c.completionTokens, 0),
        usage.completion_tokens,
      );
    });
  }

  it("scores exactly what HTTP scores, with the same token count", async () => {
    const p = problemFrom(problem, DEFAULT_MODEL);
    const solutions = [0, 1, 2, 3].map((s) => continueSolution(p, [], rngFrom(s), DEFAULT_MODEL));
    solutions.push(solutions[0]?.slice(0, 2) ?? [], ["not a step the sim can read"]);
    const local = await new InProcessVerifier().score({ problem, solutions, signal });
    const { json } = await postJson(pooling, {
      task: "token_classify",
      input: solutions.map((s) => verifierInput(t, problem, s)),
    });
    const rows = (json.data as { data: number[][] }[]).map((d) => d.data.map((row) => row[1]));
    assert.deepEqual(local.stepScores, rows);
    assert.equal(local.tokens, (json.usage as { prompt_tokens: number }).prompt_tokens);
  });

  it("draws a step, or a cut solution, as the start of the whole solution it belongs to", async () => {
    const proposer = new InProcessProposer();
    for (let seed = 0; seed < 40; seed++) {
      const [whole] = (await proposer.generate(request({ seed, n: 1 }))).completions;
      const [step] = (await proposer.generate(request({ seed, n: 1, stopAtStepEnd: true })))
        .completions;
      const [cut] = (await proposer.generate(request({ seed, n: 1, maxTokens: 12 }))).completions;
      assert.ok(whole && step && cut);
      const end = whole.text.indexOf(t.stepDelimiter);
      assert.equal(
        step.text,
        end < 0 ? whole.text : whole.text.slice(0, end + t.stepDelimiter.length),
      );
      assert.equal(step.finished, end < 0);
      assert.equal(cut.text, whole.text.slice(0, 48));
      assert.equal(cut.finished, true);
    }
  });

  it("honours an aborted signal", async () => {
    const aborted = AbortSignal.abort();
    await assert.rejects(new InProcessProposer().generate(request({ signal: aborted })));
    await assert.rejects(
      new InProcessVerifier().score({ problem, solutions: [["x"]], signal: aborted }),
    );
  });
});
