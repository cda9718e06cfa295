import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BatchScheduler, speedConfig } from "./batch-scheduler.ts";
import { type SimServer, startServer } from "./server.ts";
import { metricValue, postJson } from "./testing.ts";

const MODEL = "meta-llama/Llama-3.2-1B-Instruct";

describe("replica endpoints", () => {
  let server: SimServer;
  before(async () => {
    server = await startServer({ role: "proposer" });
  });
  after(() => server.close());

  it("serves /health with 200 and an empty body", async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
  });

  it("lists the served model at /v1/models", async () => {
    const json = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      object: string;
      data: { id: string; object: string; owned_by: string }[];
    };
    assert.equal(json.object, "list");
    assert.deepEqual(
      json.data.map((m) => [m.id, m.object, m.owned_by]),
      [[MODEL, "model", "vllm"]],
    );
  });

  it("answers unknown paths with 404 and wrong methods with 405", async () => {
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/v1/completions`)).status, 405);
  });

  it("exposes vLLM's metric names and counts tokens and requests", async () => {
    const res = await postJson(`${server.url}/v1/completions`, {
      prompt: "What is 1 + 1?",
      n: 2,
      max_tokens: 2000,
    });
    const usage = res.json.usage as Record<string, number>;
    const metrics = await fetch(`${server.url}/metrics`);
    assert.match(metrics.headers.get("content-type") ?? "", /text\/plain/);
    const text = await metrics.text();
    const labels = { model_name: MODEL };
    for (const name of [
      "vllm:num_requests_running",
      "vllm:num_requests_waiting",
      "vllm:kv_cache_usage_perc",
    ]) {
      assert.equal(metricValue(text, name, labels), 0, name);
    }
    // Usage counts the prompt once per request; vLLM's counter once per choice (n = 2).
    assert.equal(
      metricValue(text, "vllm:prompt_tokens_total", labels),
      2 * (usage.prompt_tokens ?? 0),
    );
    assert.equal(
      metricValue(text, "vllm:generation_tokens_total", labels),
      usage.completion_tokens,
    );
    assert.equal(
      metricValue(text, "vllm:request_success_total", { ...labels, finished_reason: "stop" }),
      2,
    );
    assert.equal(metricValue(text, "vllm:e2e_request_latency_seconds_count", labels), 1);
  });

  it("fails requests with a 500 in vLLM's error shape when errors are injected", async () => {
    server.setErrorRate(1);
    const res = await postJson(`${server.url}/v1/completions`, { prompt: "x" });
    server.setErrorRate(0);
    assert.equal(res.status, 500);
    const error = res.json.error as Record<string, unknown>;
    assert.equal(error.type, "InternalServerError");
    assert.equal(error.code, 500);
  });
});

describe("batching and queueing", () => {
  it("runs at most maxRunning sequences and queues the rest", async () => {
    const scheduler = new BatchScheduler(speedConfig(1, { maxRunning: 2 }));
    const done = [1, 2, 3, 4, 5].map(() => scheduler.run([{ promptTokens: 10, outputTokens: 5 }]));
    assert.equal(scheduler.running, 2);
    assert.equal(scheduler.waiting, 3);
    assert.ok(scheduler.kvCacheUsage > 0);
    await Promise.all(done);
    assert.equal(scheduler.running, 0);
    assert.equal(scheduler.waiting, 0);
    assert.equal(scheduler.kvCacheUsage, 0);
  });

  it("frees the slots of an aborted request", async () => {
    const scheduler = new BatchScheduler(speedConfig(1, { maxRunning: 1 }));
    const controller = new AbortController();
    const aborted = scheduler.run([{ promptTokens: 1, outputTokens: 1e6 }], controller.signal);
    const next = scheduler.run([{ promptTokens: 1, outputTokens: 1 }]);
    assert.equal(scheduler.waiting, 1);
    controller.abort(new Error("gone"));
    await assert.rejects(aborted, /gone/);
    await next;
    assert.equal(scheduler.running + scheduler.waiting, 0);
  });

  it("shows waiting requests in /metrics when a slow replica is overloaded", async () => {
    const server = await startServer({
      role: "proposer",
      // Slow enough (about 2 s per request) that none finishes before all six have arrived, even
      // on a busy machine.
      speed: speedConfig(0.05, { maxRunning: 2 }),
    });
    try {
      const url = `${server.url}/v1/completions`;
      const requests = Array.from({ length: 6 }, (_, i) =>
        postJson(url, { prompt: `Problem ${i}: x?`, max_tokens: 10, seed: i }),
      );
      const labels = { model_name: MODEL };
      let text = "";
      // Wait until all six have arrived; the counts, not the timing, are what is checked.
      for (let polls = 0; ; polls++) {
        text = await (await fetch(`${server.url}/metrics`)).text();
        const running = metricValue(text, "vllm:num_requests_running", labels) ?? 0;
        const waiting = metricValue(text, "vllm:num_requests_waiting", labels) ?? 0;
        if (running + waiting === 6) break;
        assert.ok(
          polls < 2000,
          `never saw all six at once: ${running} running, ${waiting} waiting`,
        );
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(metricValue(text, "vllm:num_requests_running", labels), 2);
      assert.equal(metricValue(text, "vllm:num_requests_waiting", labels), 4);
      assert.ok((metricValue(text, "vllm:kv_cache_usage_perc", labels) ?? 0) > 0);
      const results = await Promise.all(requests);
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 200, 200, 200, 200, 200],
      );
      text = await (await fetch(`${server.url}/metrics`)).text();
      assert.equal(metricValue(text, "vllm:num_requests_waiting", labels), 0);
    } finally {
      await server.close();
    }
  });
});
