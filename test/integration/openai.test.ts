// The OpenAI-compatible front door, driven by the official `openai` client against the router and
// the sim: a plain call, streaming, every error status, and a client that disconnects mid-stream.
// The same requests over gRPC give the same answers, because both transports are one shell each
// over the same handling, admission, metrics and engine.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { clone, create } from "@bufbuild/protobuf";
import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { PolicySnapshotSchema, PoolSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import { ApiKeys } from "../../router/http/api-keys.ts";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { startFleet } from "../../sim/fleet.ts";
import {
  DEFAULT_LEVELS,
  POLICY,
  policyFor,
  routerConfigYaml,
  type Stack,
  type StackOptions,
  startStack,
  stderrPort,
} from "./harness.ts";

const prompt = "Problem 4: What is the sum of the first 20 positive odd integers?";

interface MullOptions {
  max_generations?: number;
  max_tokens?: number;
  difficulty_hint?: number;
  strategy?: string;
  candidates?: boolean;
  timeout_ms?: number;
}

// Mull's options ride in an extra body field the OpenAI types do not know.
function withMull<T extends object>(params: T, mull: MullOptions): T {
  return { ...params, mull } as T;
}

interface MullResult {
  request_id: string;
  answer: string;
  bin: number;
  strategy: string;
  config: { strategy: string; generations: number };
  usage: {
    generations: number;
    proposer_prompt_tokens: number;
    proposer_completion_tokens: number;
    verifier_tokens: number;
  };
  score: number;
  partial: boolean;
  candidates?: { answer: string; score: number }[];
}

type MullChunk = ChatCompletionChunk & { mull?: { event: string } & Partial<MullResult> };

async function startFrontDoor(options: StackOptions = {}) {
  const stack = await startStack({ ...options, router: { httpPort: 0, ...options.router } });
  const baseURL = `http://127.0.0.1:${stack.router.httpPort}/v1`;
  const openai = new OpenAI({ baseURL, apiKey: "none", maxRetries: 0 });
  return { stack, openai, baseURL };
}

function chatStream(
  extra: Partial<ChatCompletionCreateParamsStreaming> = {},
): ChatCompletionCreateParamsStreaming {
  return { ...chat(), ...extra, stream: true };
}

function chat(
  extra: Partial<ChatCompletionCreateParamsNonStreaming> = {},
): ChatCompletionCreateParamsNonStreaming {
  return {
    model: POLICY,
    messages: [
      { role: "system" as const, content: "You are a careful mathematician." },
      { role: "user" as const, content: "an earlier question" },
      { role: "assistant" as const, content: "an earlier answer" },
      { role: "user" as const, content: prompt },
    ],
    ...extra,
  };
}

async function metric(stack: Stack, name: string): Promise<string> {
  return stack.router.metrics.registry.getSingleMetricAsString(name);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), what);
}

test("a plain chat call: OpenAI's shape, the last user message solved, the same answer as gRPC", async () => {
  const { stack, openai } = await startFrontDoor();
  try {
    const completion = await openai.chat.completions.create(
      withMull(chat({ max_tokens: 4096 }), { max_generations: 4, candidates: true }),
      { headers: { "X-Request-Id": "same-request-1" } },
    );
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, POLICY);
    assert.equal(completion.id, "chatcmpl-same-request-1");
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.equal(choice?.message.role, "assistant");
    assert.equal(choice?.finish_reason, "stop");
    const mull = (completion as unknown as { mull: MullResult }).mull;
    assert.match(choice?.message.content ?? "", /\\boxed\{/);
    assert.ok((choice?.message.content ?? "").includes(`\\boxed{${mull.answer}}`));
    assert.equal(mull.request_id, "same-request-1");
    assert.equal(mull.strategy, "bestOfN");
    assert.equal(mull.config.generations, 4);
    assert.equal(mull.usage.generations, 4);
    assert.ok(mull.bin >= 1 && mull.bin <= 2);
    assert.equal(mull.partial, false);
    assert.equal(mull.candidates?.length, 4);
    assert.ok(mull.usage.verifier_tokens > 0);
    assert.deepEqual(completion.usage, {
      prompt_tokens: mull.usage.proposer_prompt_tokens,
      completion_tokens: mull.usage.proposer_completion_tokens,
      total_tokens: mull.usage.proposer_prompt_tokens + mull.usage.proposer_completion_tokens,
    });

    // The same request over gRPC (same id, so the same seeds): the same engine gives the same.
    const viaGrpc = await stack.client.solve({
      policy: POLICY,
      prompt,
      requestId: "same-request-1",
      budget: { maxGenerations: 4, maxTokens: 4096n },
    });
    assert.equal(viaGrpc.answer, mull.answer);
    assert.equal(viaGrpc.solution, choice?.message.content);
    assert.equal(
      Number(viaGrpc.usage?.proposerCompletionTokens),
      mull.usage.proposer_completion_tokens,
    );

    // One set of metrics: both requests are counted in mull_requests_total.
    assert.match(
      await metric(stack, "mull_requests_total"),
      /policy="math",strategy="bestOfN",code="OK"\} 2/,
    );
    assert.match(
      await metric(stack, "mull_http_responses_total"),
      /route="\/v1\/chat\/completions",code="200"\} 1/,
    );
  } finally {
    await stack.close();
  }
});

test("text completions and the model list; <namespace>/<policy> names the same policy", async () => {
  const { stack, openai } = await startFrontDoor();
  try {
    const completion = await openai.completions.create(
      withMull({ model: "default/math", prompt }, { difficulty_hint: 1, strategy: "majority" }),
    );
    assert.equal(completion.object, "text_completion");
    assert.equal(completion.model, "default/math");
    assert.match(completion.choices[0]?.text ?? "", /\\boxed\{/);
    const mull = (completion as unknown as { mull: MullResult }).mull;
    assert.equal(mull.bin, 1, "the hint chose the bin");
    assert.equal(mull.strategy, "majority", "mull.strategy overrode the table");

    const models = [];
    for await (const model of openai.models.list()) models.push(model);
    assert.deepEqual(
      models.map((m) => [m.id, m.object, m.owned_by]),
      [[POLICY, "model", "default"]],
    );
    for (const id of [POLICY, "default/math"]) {
      assert.equal((await openai.models.retrieve(id)).id, POLICY, id);
    }
    await assert.rejects(openai.models.retrieve("other/math"), OpenAI.NotFoundError);
  } finally {
    await stack.close();
  }
});

test("streaming: the role, progress chunks with an empty delta, the answer, usage, [DONE]; nothing lost against gRPC", async () => {
  const { stack, openai, baseURL } = await startFrontDoor({
    levels: [{ strategy: Strategy.beam, generations: 4, beamWidth: 2, maxSteps: 40 }],
  });
  try {
    const stream = await openai.chat.completions.create(
      withMull(chatStream({ stream_options: { include_usage: true } }), { difficulty_hint: 2 }),
      { headers: { "X-Request-Id": "stream-1" } },
    );
    const chunks: MullChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk as MullChunk);

    const [first] = chunks;
    assert.deepEqual(first?.choices[0]?.delta, { role: "assistant", content: "" });
    const progress = chunks.filter((c) => c.mull !== undefined && c.mull.event !== "final");
    assert.ok(progress.some((c) => c.mull?.event === "step"));
    for (const c of progress) {
      assert.equal(c.object, "chat.completion.chunk");
      assert.deepEqual(c.choices[0]?.delta, {});
      assert.equal(c.choices[0]?.finish_reason, null);
    }
    const finals = chunks.filter((c) => c.mull?.event === "final");
    assert.equal(finals.length, 1);
    const final = finals[0] as MullChunk;
    assert.equal(final.choices[0]?.finish_reason, "stop");
    assert.match(final.choices[0]?.delta.content ?? "", /\\boxed\{/);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.equal(last?.usage?.completion_tokens, final.mull?.usage?.proposer_completion_tokens);
    assert.ok(chunks.every((c) => c.id === "chatcmpl-stream-1"));

    // The same request over gRPC streams the same events, one chunk each.
    const events: string[] = [];
    for await (const event of stack.client.solveStream({
      policy: POLICY,
      prompt,
      requestId: "stream-1",
      difficultyHint: 2,
    })) {
      events.push(event.event.case ?? "none");
    }
    assert.deepEqual(
      chunks.flatMap((c) => (c.mull ? [c.mull.event] : [])),
      events,
    );

    // On the wire: SSE lines, ending in [DONE].
    const raw = await fetch(`${baseURL}/completions`, {
      method: "POST",
      body: JSON.stringify({ model: POLICY, prompt, stream: true, mull: { difficulty_hint: 1 } }),
    });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get("content-type") ?? "", /^text\/event-stream/);
    const text = await raw.text();
    assert.ok(text.endsWith("data: [DONE]\n\n"), text.slice(-200));
    assert.ok(
      text
        .split("\n\n")
        .filter(Boolean)
        .every((e) => e.startsWith("data: ")),
    );
  } finally {
    await stack.close();
  }
});

test("400: bad fields, n > 1, malformed JSON, a bad timeout header, an empty prompt", async () => {
  const { stack, openai, baseURL } = await startFrontDoor();
  try {
    const bad: [string, Promise<unknown>, RegExp][] = [
      ["n=2", openai.chat.completions.create(chat({ n: 2 })), /n must be 1/],
      [
        "no user message",
        openai.chat.completions.create({
          model: POLICY,
          messages: [{ role: "system", content: "hi" }],
        }),
        /no user message/,
      ],
      [
        "unknown mull field",
        openai.chat.completions.create(withMull(chat(), { budget: 3 } as unknown as MullOptions)),
        /mull has no field of that name/,
      ],
      [
        "strategy",
        openai.chat.completions.create(withMull(chat(), { strategy: "magic" })),
        /mull.strategy must be one of: auto, bestOfN/,
      ],
      [
        "negative max_tokens",
        openai.chat.completions.create(chat({ max_tokens: -1 })),
        /max_tokens must be a positive integer/,
      ],
      [
        "generations over the policy's maximum",
        openai.chat.completions.create(withMull(chat(), { max_generations: 65 })),
        /max_generations|maximum|above/,
      ],
      [
        "hint outside the bins",
        openai.chat.completions.create(withMull(chat(), { difficulty_hint: 9 })),
        /difficulty_hint/,
      ],
      [
        "empty prompt",
        openai.completions.create({ model: POLICY, prompt: "   " }),
        /prompt is empty/,
      ],
      [
        "timeout header",
        openai.chat.completions.create(chat(), { headers: { "X-Request-Timeout": "soon" } }),
        /X-Request-Timeout/,
      ],
      [
        "tools",
        openai.chat.completions.create(
          chat({ tools: [{ type: "function", function: { name: "f" } }] }),
        ),
        /tools is not supported/,
      ],
    ];
    for (const [what, call, message] of bad) {
      await assert.rejects(
        call,
        (e: unknown) =>
          e instanceof OpenAI.BadRequestError &&
          e.type === "invalid_request_error" &&
          message.test(e.message),
        what,
      );
    }
    for (const body of ["{not json", "[1, 2]", ""]) {
      const res = await fetch(`${baseURL}/chat/completions`, { method: "POST", body });
      assert.equal(res.status, 400, body);
      const json = (await res.json()) as { error: { type: string; message: string } };
      assert.equal(json.error.type, "invalid_request_error");
    }
    // The router is unharmed.
    const ok = await openai.chat.completions.create(chat());
    assert.equal(ok.choices.length, 1);
  } finally {
    await stack.close();
  }
});

test("404 unknown model or route, 405 wrong method, 413 body too large", async () => {
  const { stack, openai, baseURL } = await startFrontDoor({
    router: { maxReceiveMessageBytes: 64 * 1024 },
  });
  try {
    for (const model of ["nope", "other-namespace/math"]) {
      await assert.rejects(
        openai.chat.completions.create(chat({ model })),
        (e: unknown) =>
          e instanceof OpenAI.NotFoundError &&
          e.code === "model_not_found" &&
          /known policies: "math"/.test(e.message),
        model,
      );
    }
    assert.equal(
      (await fetch(`${baseURL}/embeddings`, { method: "POST", body: "{}" })).status,
      404,
    );
    const get = await fetch(`${baseURL}/chat/completions`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");

    const huge = JSON.stringify({ model: POLICY, prompt: "x".repeat(100 * 1024) });
    const res = await fetch(`${baseURL}/completions`, { method: "POST", body: huge });
    assert.equal(res.status, 413);
    const json = (await res.json()) as { error: { code: string } };
    assert.equal(json.error.code, "body_too_large");
    assert.equal((await openai.completions.create({ model: POLICY, prompt })).choices.length, 1);
  } finally {
    await stack.close();
  }
});

test("401 when API keys are on and the key is missing or wrong; the right key passes", async () => {
  const file = join(tmpdir(), `mull-keys-${process.pid}-${Date.now()}`);
  await writeFile(file, "# keys\nkey-one\n\nkey-two\n");
  const apiKeys = await ApiKeys.open(file, { watch: false });
  const { stack, baseURL } = await startFrontDoor({ router: { apiKeys } });
  try {
    for (const apiKey of ["wrong", "key-one-and-more"]) {
      const openai = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
      await assert.rejects(
        openai.chat.completions.create(chat()),
        (e: unknown) => e instanceof OpenAI.AuthenticationError && e.code === "invalid_api_key",
        apiKey,
      );
      await assert.rejects(openai.models.list(), OpenAI.AuthenticationError);
    }
    const missing = await fetch(`${baseURL}/models`);
    assert.equal(missing.status, 401);
    const openai = new OpenAI({ baseURL, apiKey: "key-two", maxRetries: 0 });
    assert.equal((await openai.chat.completions.create(chat())).choices.length, 1);

    // A rotated key file: the old key stops working, the new one starts.
    await writeFile(file, "key-three\n");
    await apiKeys.reload();
    await assert.rejects(openai.chat.completions.create(chat()), OpenAI.AuthenticationError);
    const rotated = new OpenAI({ baseURL, apiKey: "key-three", maxRetries: 0 });
    assert.equal((await rotated.chat.completions.create(chat())).choices.length, 1);
  } finally {
    await stack.close();
    await rm(file, { force: true });
  }
});

test("429 at capacity, shared with gRPC: a gRPC call holds the only slot", async () => {
  const { stack, openai, baseURL } = await startFrontDoor({
    bins: 1,
    speed: speedConfig(1),
    levels: [{ strategy: Strategy.revision, generations: 16, sequentialRatio: 1 }],
    router: { maxInFlight: 1, maxQueue: 0 },
  });
  try {
    const controller = new AbortController();
    const holding = stack.client
      .solve(
        { policy: POLICY, prompt, difficultyHint: 1, budget: { maxGenerations: 16 } },
        { signal: controller.signal },
      )
      .catch(() => undefined);
    await until(() => stack.router.admission.inFlight === 1, "the gRPC call holds the slot");
    await assert.rejects(
      openai.chat.completions.create(chat()),
      (e: unknown) =>
        e instanceof OpenAI.RateLimitError &&
        e.type === "rate_limit_error" &&
        /router at capacity: 1 in flight, 0 queued/.test(e.message) &&
        e.headers.get("retry-after") === "1",
    );
    // A stream is refused the same way, with a status, before any event.
    const res = await fetch(`${baseURL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ ...chat(), stream: true }),
    });
    assert.equal(res.status, 429);
    controller.abort();
    await holding;
  } finally {
    await stack.close();
  }
});

test("504 when the deadline passes with nothing to answer; a longer one answers or is partial", async () => {
  const { stack, openai, baseURL } = await startFrontDoor({
    bins: 1,
    speed: speedConfig(1),
    levels: [{ strategy: Strategy.revision, generations: 16, sequentialRatio: 1 }],
  });
  try {
    const hard = withMull(chat(), { difficulty_hint: 1, max_generations: 16 });
    await assert.rejects(
      openai.chat.completions.create(hard, { headers: { "X-Request-Timeout": "0.001" } }),
      (e: unknown) =>
        e instanceof OpenAI.InternalServerError &&
        e.status === 504 &&
        e.code === "deadline_exceeded",
    );
    await assert.rejects(
      openai.chat.completions.create(withMull(chat(), { difficulty_hint: 1, timeout_ms: 1 })),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 504,
    );
    // Best-so-far, as over gRPC: inside a tight deadline the answer is partial (or there is none).
    try {
      const completion = await openai.chat.completions.create(
        withMull(chat(), { difficulty_hint: 1, max_generations: 16, timeout_ms: 1_500 }),
      );
      const mull = (completion as unknown as { mull: MullResult }).mull;
      assert.equal(mull.partial, true);
      assert.ok(mull.usage.generations < 16);
      assert.equal(completion.choices[0]?.finish_reason, "length");
    } catch (error) {
      assert.equal((error as InstanceType<typeof OpenAI.APIError>).status, 504);
    }
    // A stream is bounded the same way: refused with 504 before any event, or ended by the
    // deadline with its best so far (or an error event), then [DONE].
    const url = `${baseURL}/chat/completions`;
    const bounded = async (res: Response) => {
      if (res.status !== 200) {
        assert.equal(res.status, 504);
        return;
      }
      const events = (await res.text()).split("\n\n").filter(Boolean);
      assert.equal(events.at(-1), "data: [DONE]");
      const last = JSON.parse((events.at(-2) ?? "").slice("data: ".length));
      assert.ok(
        last.error?.code === "deadline_exceeded" ||
          (last.mull?.event === "final" && last.mull.partial === true),
        JSON.stringify(last),
      );
    };
    await bounded(
      await fetch(url, {
        method: "POST",
        headers: { "X-Request-Timeout": "0.001" },
        body: JSON.stringify({ ...hard, stream: true }),
      }),
    );
    await bounded(
      await fetch(url, {
        method: "POST",
        body: JSON.stringify({
          ...chat(),
          stream: true,
          mull: { difficulty_hint: 1, max_generations: 16, timeout_ms: 1_500 },
        }),
      }),
    );
    const proposer = stack.fleet.replicas.find((r) => r.role === "proposer");
    await until(() => proposer?.server.scheduler.running === 0, "the fleet stops working");
  } finally {
    await stack.close();
  }
});

test("503 when no backend answers; 500 for a bug, and the router keeps serving", async () => {
  let broken = true;
  const engine = createEngine();
  const { stack, openai } = await startFrontDoor({
    engine: {
      validate: engine.validate,
      estimateDifficulty: engine.estimateDifficulty,
      solve: async (request, context) => {
        if (broken) throw new TypeError("a bug in the engine");
        return engine.solve(request, context);
      },
    },
  });
  try {
    await assert.rejects(
      openai.chat.completions.create(chat()),
      (e: unknown) =>
        e instanceof OpenAI.InternalServerError &&
        e.status === 500 &&
        /a bug in the engine/.test(e.message),
    );
    broken = false;
    // Every replica of the "dead" policy is a port nothing listens on.
    const dead = clone(PolicySnapshotSchema, stack.policy);
    dead.name = "dead";
    for (const bin of dead.binTable) {
      bin.proposer = create(PoolSchema, { model: "m", endpoints: ["http://127.0.0.1:9"] });
      bin.verifier = create(PoolSchema, { model: "v", endpoints: ["http://127.0.0.1:9"] });
    }
    stack.policies.set([stack.policy, dead]);
    await assert.rejects(
      openai.chat.completions.create(chat({ model: "dead" })),
      (e: unknown) =>
        e instanceof OpenAI.APIError &&
        e.status === 503 &&
        e.code === "unavailable" &&
        e.headers?.get("retry-after") === "1",
    );
    assert.equal((await openai.chat.completions.create(chat())).choices.length, 1);
  } finally {
    await stack.close();
  }
});

test("a client that disconnects mid-stream: the engine stops, the slot is released, the request is counted once", async () => {
  const { stack, openai } = await startFrontDoor({
    bins: 1,
    speed: speedConfig(1),
    levels: [{ strategy: Strategy.beam, generations: 16, beamWidth: 4, maxSteps: 40 }],
    router: { maxInFlight: 1, maxQueue: 0 },
  });
  try {
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      // No hint: the probe runs first, and the client hangs up once it has seen the bin.
      withMull(chatStream(), { max_generations: 16 }),
      { signal: controller.signal },
    );
    const seen: MullChunk[] = [];
    for await (const chunk of stream) {
      seen.push(chunk as MullChunk);
      // The client library ends the iteration quietly on its own abort.
      if (chunk && (chunk as MullChunk).mull?.event === "difficulty") controller.abort();
    }
    assert.equal(seen.at(-1)?.mull?.event, "difficulty", "the client hung up after the bin");
    assert.ok(
      seen.every((c) => c.mull?.event !== "final"),
      "it left before the answer",
    );

    await until(() => stack.router.admission.inFlight === 0, "the slot is released");
    const proposer = stack.fleet.replicas.find((r) => r.role === "proposer");
    await until(
      () => (proposer?.server.scheduler.running ?? 0) === 0,
      "the engine's backend calls stop",
    );
    const requests = await metric(stack, "mull_requests_total");
    assert.match(requests, /code="CANCELLED"\} 1/, requests);
    assert.doesNotMatch(requests, /code="OK"/);
    // The work done before the client left is accounted: its probe's tokens are counted.
    const tokens = await stack.router.metrics.tokens.get();
    const proposerTokens = tokens.values
      .filter((v) => v.labels.role === "proposer")
      .reduce((sum, v) => sum + v.value, 0);
    assert.ok(proposerTokens > 0, JSON.stringify(tokens.values));
    assert.match(
      await metric(stack, "mull_http_responses_total"),
      /route="\/v1\/chat\/completions",code="499"\} 1/,
    );
    // With the only slot free again, the next request is served.
    const next = await openai.chat.completions.create(
      withMull(chat(), { difficulty_hint: 1, max_generations: 2 }),
    );
    assert.equal(next.choices[0]?.finish_reason, "stop");
  } finally {
    await stack.close();
  }
});

test("mull router --http-port --api-keys-file: the CLI serves the API behind its keys, reloads a rotated key file, exits 0 on SIGTERM", async () => {
  const fleet = await startFleet({ bins: 1, seed: 5 });
  const dir = await mkdtemp(join(tmpdir(), "mull-router-http-"));
  const config = join(dir, "router.yaml");
  const keys = join(dir, "api-keys");
  await writeFile(config, routerConfigYaml([policyFor(fleet, DEFAULT_LEVELS)]));
  await writeFile(keys, "first-key\n");
  const child = spawn(
    process.execPath,
    [
      "bin/mull.ts",
      "router",
      "--config",
      config,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--metrics-port=-1",
      "--http-port",
      "0",
      "--api-keys-file",
      keys,
    ],
    { cwd: new URL("../..", import.meta.url), stdio: ["ignore", "ignore", "pipe"] },
  );
  const stderr = stderrPort(child, /OpenAI API on :(\d+) \(1 API keys\)/);
  try {
    const port = await stderr.port;
    const baseURL = `http://127.0.0.1:${port}/v1`;
    const first = new OpenAI({ baseURL, apiKey: "first-key", maxRetries: 0 });
    const answer = await first.chat.completions.create(chat());
    assert.match(answer.choices[0]?.message.content ?? "", /\\boxed\{/);
    await assert.rejects(
      new OpenAI({ baseURL, apiKey: "guess", maxRetries: 0 }).models.list(),
      OpenAI.AuthenticationError,
    );

    // The file is swapped the way a Secret volume swaps it: a new file renamed over the old one.
    await writeFile(join(dir, "api-keys.new"), "second-key\n");
    await rename(join(dir, "api-keys.new"), keys);
    const second = new OpenAI({ baseURL, apiKey: "second-key", maxRetries: 0 });
    let rotated = false;
    for (let i = 0; i < 200 && !rotated; i++) {
      rotated = await second.models.list().then(
        () => true,
        () => false,
      );
      if (!rotated) await sleep(25);
    }
    assert.ok(rotated, `the new key works after the file changed: ${stderr.log()}`);
    await assert.rejects(first.models.list(), OpenAI.AuthenticationError);

    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0, stderr.log());
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
