import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Fleet, startFleet } from "./fleet.ts";
import { DEFAULT_FORMATS, type SimFormat, writePrompt } from "./format.ts";
import { postJson } from "./testing.ts";

interface Choice {
  index: number;
  text: string;
  logprobs: null;
  finish_reason: string;
  stop_reason: string | number | null;
}

const mull = DEFAULT_FORMATS[0] as SimFormat;
const prompt = writePrompt(mull, "Problem 1: How many apples are left?");

describe("POST /v1/completions", () => {
  let fleet: Fleet;
  let a = "";
  let b = "";
  before(async () => {
    fleet = await startFleet({ bins: 1, replicas: 2 });
    [a = "", b = ""] = fleet.bins[0]?.proposer.endpoints.map((u) => `${u}/v1/completions`) ?? [];
  });
  after(() => fleet.stop());

  it("answers in vLLM's text_completion shape", async () => {
    const { status, json } = await postJson(a, { prompt, max_tokens: 2000, seed: 1 });
    assert.equal(status, 200);
    assert.match(String(json.id), /^cmpl-/);
    assert.equal(json.object, "text_completion");
    assert.equal(typeof json.created, "number");
    assert.equal(json.model, "meta-llama/Llama-3.2-1B-Instruct");
    const choices = json.choices as Choice[];
    assert.equal(choices.length, 1);
    assert.equal(choices[0]?.index, 0);
    assert.equal(choices[0]?.logprobs, null);
    const usage = json.usage as {
      prompt_tokens: number;
      completion_tokens: number;
      total_tokens: number;
    };
    assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  it("runs to the end of the solution without a stop: EOS or a stop token, a boxed answer", async () => {
    const { json } = await postJson(a, { prompt, max_tokens: 2000, seed: 2 });
    const [choice] = json.choices as Choice[];
    assert.equal(choice?.finish_reason, "stop");
    assert.ok(choice?.stop_reason === null || choice?.stop_reason === 128001);
    assert.match(choice?.text ?? "", /\\boxed\{-?\d+\}\.$/);
    assert.ok((choice?.text.split("\n\n").length ?? 0) >= 3);
  });

  it("stops after one step on the step delimiter and names the stop string", async () => {
    const full = await postJson(a, { prompt, max_tokens: 2000, seed: 3 });
    const step = await postJson(a, { prompt, max_tokens: 2000, seed: 3, stop: ["\n\n"] });
    const [whole] = full.json.choices as Choice[];
    const [one] = step.json.choices as Choice[];
    assert.equal(one?.finish_reason, "stop");
    assert.equal(one?.stop_reason, "\n\n");
    assert.ok(!one?.text.includes("\n\n"));
    assert.equal(one?.text, whole?.text.split("\n\n")[0]);
    const kept = await postJson(a, {
      prompt,
      max_tokens: 2000,
      seed: 3,
      stop: "\n\n",
      include_stop_str_in_output: true,
    });
    assert.equal((kept.json.choices as Choice[])[0]?.text, `${one?.text}\n\n`);
  });

  it("continues a partial solution from the steps in the prompt and ends the last step with EOS", async () => {
    const first = await postJson(a, { prompt, max_tokens: 2000, seed: 4 });
    const steps = ((first.json.choices as Choice[])[0]?.text ?? "").split("\n\n");
    const lastStep = writePrompt(mull, "Problem 1: How many apples are left?", steps.slice(0, -1));
    const { json } = await postJson(a, {
      prompt: lastStep,
      max_tokens: 2000,
      seed: 9,
      stop: "\n\n",
    });
    const [choice] = json.choices as Choice[];
    assert.match(choice?.text ?? "", /^Step \d+: .*\\boxed\{/);
    assert.notEqual(typeof choice?.stop_reason, "string", "the solution ended, not a step");
  });

  it("honours max_tokens with finish_reason length", async () => {
    const { json } = await postJson(a, { prompt, max_tokens: 5, seed: 5 });
    const [choice] = json.choices as Choice[];
    assert.equal(choice?.finish_reason, "length");
    assert.equal(choice?.stop_reason, null);
    assert.equal((json.usage as Record<string, number>).completion_tokens, 5);
  });

  it("returns n different samples in one call", async () => {
    const { json } = await postJson(a, { prompt, n: 8, max_tokens: 2000 });
    const choices = json.choices as Choice[];
    assert.deepEqual(
      choices.map((c) => c.index),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(new Set(choices.map((c) => c.text)).size, 8);
  });

  it("gives the same samples for the same seed on two replicas, and others for another seed", async () => {
    const body = { prompt, n: 3, max_tokens: 2000, seed: 42 };
    const one = (await postJson(a, body)).json.choices as Choice[];
    const two = (await postJson(b, body)).json.choices as Choice[];
    assert.deepEqual(
      one.map((c) => c.text),
      two.map((c) => c.text),
    );
    const other = (await postJson(a, { ...body, seed: 43 })).json.choices as Choice[];
    assert.notDeepEqual(
      other.map((c) => c.text),
      one.map((c) => c.text),
    );
  });

  it("accepts a list of one prompt and ignores unknown keys", async () => {
    const { status, json } = await postJson(a, {
      prompt: [prompt],
      max_tokens: 50,
      top_k: 20,
      foo: 1,
    });
    assert.equal(status, 200);
    assert.equal((json.choices as Choice[]).length, 1);
  });

  it("treats a prompt in no known format as a bare problem", async () => {
    const { json } = await postJson(a, { prompt: "What is 2 + 2?", max_tokens: 2000, seed: 1 });
    assert.match((json.choices as Choice[])[0]?.text ?? "", /^Step 1: /);
  });

  it("rejects bad requests with vLLM's error body", async () => {
    const cases: [unknown, number, RegExp][] = [
      ["{not json", 400, /JSON/],
      [{ max_tokens: 5 }, 400, /prompt/],
      [{ prompt, n: 0 }, 400, /n must be at least 1/],
      [{ prompt, max_tokens: 0 }, 400, /max_tokens/],
      [{ prompt, model: "gpt-4" }, 404, /The model `gpt-4` does not exist/],
    ];
    for (const [body, status, message] of cases) {
      const res = await postJson(a, body);
      assert.equal(res.status, status);
      const error = res.json.error as Record<string, unknown>;
      assert.match(String(error.message), message);
      assert.equal(error.code, status);
      assert.equal(error.type, status === 404 ? "NotFoundError" : "BadRequestError");
      assert.ok("param" in error);
    }
  });
});
