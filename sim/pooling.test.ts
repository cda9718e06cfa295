import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Fleet, startFleet } from "./fleet.ts";
import { DEFAULT_FORMATS, type SimFormat, writeVerifierInput } from "./format.ts";
import { modelConfig } from "./model-config.ts";
import { problemFrom } from "./problem.ts";
import { rngFrom } from "./random.ts";
import { continueSolution } from "./solution.ts";
import { postJson } from "./testing.ts";

const mull = DEFAULT_FORMATS[0] as SimFormat;

const problem = "Problem 7: Find the remainder when 7^7 is divided by 5.";

interface Row {
  index: number;
  object: string;
  data: number[][];
}

describe("POST /pooling (PRM, token_classify)", () => {
  let fleet: Fleet;
  let a = "";
  let b = "";
  before(async () => {
    fleet = await startFleet({ bins: 1, replicas: 2 });
    [a = "", b = ""] = fleet.bins[0]?.verifier.endpoints.map((u) => `${u}/pooling`) ?? [];
  });
  after(() => fleet.stop());

  it("returns one [neg, pos] row per <extra_0> in each input, in vLLM's shape", async () => {
    const steps = ["Step 1: a = 3", "Step 2: b = 4", "Step 3: So \\boxed{5}."];
    const inputs = [
      writeVerifierInput(mull, problem, steps),
      writeVerifierInput(mull, problem, steps.slice(0, 1)),
    ];
    const { status, json } = await postJson(a, {
      model: "Qwen/Qwen2.5-Math-PRM-7B",
      input: inputs,
      task: "token_classify",
    });
    assert.equal(status, 200);
    assert.match(String(json.id), /^pool-/);
    assert.equal(json.object, "list");
    assert.equal(json.model, "Qwen/Qwen2.5-Math-PRM-7B");
    const data = json.data as Row[];
    assert.deepEqual(
      data.map((d) => [d.index, d.object, d.data.length]),
      [
        [0, "pooling", 3],
        [1, "pooling", 1],
      ],
    );
    for (const row of data.flatMap((d) => d.data)) {
      assert.equal(row.length, 2);
      assert.ok(Math.abs((row[0] ?? 0) + (row[1] ?? 0) - 1) < 1e-9);
    }
    const usage = json.usage as Record<string, number>;
    assert.equal(usage.completion_tokens, 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens);
  });

  it("scores the same text the same on every replica", async () => {
    const input = writeVerifierInput(mull, problem, ["Step 1: x = 12", "Step 2: \\boxed{12}."]);
    const one = await postJson(a, { input, task: "token_classify" });
    const two = await postJson(b, { input, task: "token_classify" });
    assert.deepEqual(one.json.data, two.json.data);
  });

  it("scores on-track solutions higher than off-track ones on average", async () => {
    const config = modelConfig();
    const p = problemFrom(problem, config);
    const inputs: string[] = [];
    const correct: boolean[] = [];
    for (let i = 0; i < 200; i++) {
      const steps = continueSolution(p, [], rngFrom(i), config);
      inputs.push(writeVerifierInput(mull, problem, steps));
      correct.push((steps.at(-1) ?? "").includes(`\\boxed{${p.answer}}`));
    }
    const { json } = await postJson(a, { input: inputs, task: "token_classify" });
    const last = (json.data as Row[]).map((d) => d.data.at(-1)?.[1] ?? 0);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const right = last.filter((_, i) => correct[i]);
    const wrong = last.filter((_, i) => !correct[i]);
    assert.ok(right.length > 0 && wrong.length > 0);
    assert.ok(mean(right) > mean(wrong) + 0.1, `${mean(right)} vs ${mean(wrong)}`);
  });

  it("returns no rows for an input without separators", async () => {
    const { json } = await postJson(a, { input: "just text", task: "token_classify" });
    assert.deepEqual((json.data as Row[])[0]?.data, []);
  });

  it("rejects other tasks, missing input and unknown models", async () => {
    const embed = await postJson(a, { input: "x", task: "embed" });
    assert.equal(embed.status, 400);
    assert.equal((embed.json.error as Record<string, unknown>).type, "BadRequestError");
    assert.equal((await postJson(a, { task: "token_classify" })).status, 400);
    const model = await postJson(a, { input: "x", model: "other" });
    assert.equal(model.status, 404);
  });

  it("does not serve /v1/completions on a verifier", async () => {
    const res = await postJson(a.replace("/pooling", "/v1/completions"), { prompt: "x" });
    assert.equal(res.status, 404);
  });
});
