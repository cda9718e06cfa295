// vLLM's serving options, as the sim reproduces them: --api-key (401 on /v1 paths only),
// --served-model-name (the name requests must use), and uvicorn's keep-alive idle close.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { startServer } from "./server.ts";
import { postJson as post } from "./testing.ts";

test("--api-key: /v1 requests need the bearer token; /pooling, /health and /metrics do not", async () => {
  const proposer = await startServer({ role: "proposer", apiKey: "s3cret" });
  const verifier = await startServer({ role: "verifier", apiKey: "s3cret" });
  try {
    const url = `${proposer.url}/v1/completions`;
    const body = { prompt: "Problem 1: what is 2 + 2?", max_tokens: 50, seed: 1 };
    const cases: [string, Record<string, string>, number][] = [
      ["no header", {}, 401],
      ["wrong key", { authorization: "Bearer nope" }, 401],
      ["not a bearer", { authorization: "s3cret" }, 401],
      ["the key", { authorization: "Bearer s3cret" }, 200],
    ];
    for (const [name, headers, status] of cases) {
      const res = await post(url, body, headers);
      assert.equal(res.status, status, name);
      if (status === 401) assert.deepEqual(res.json, { error: "Unauthorized" });
    }
    assert.equal((await fetch(`${proposer.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${proposer.url}/health`)).status, 200);
    assert.equal((await fetch(`${proposer.url}/metrics`)).status, 200);
    const pooled = await post(`${verifier.url}/pooling`, { input: "x<extra_0>" });
    assert.equal(pooled.status, 200, "vLLM does not guard /pooling with the key");
  } finally {
    await proposer.close();
    await verifier.close();
  }
});

test("--served-model-name: requests use the served name, /v1/models lists it", async () => {
  const server = await startServer({
    role: "proposer",
    model: "org/weights-1.5b",
    servedModelName: "math-small",
  });
  try {
    const url = `${server.url}/v1/completions`;
    const body = { prompt: "Problem 1: what is 2 + 2?", max_tokens: 50, seed: 1 };
    assert.equal((await post(url, { ...body, model: "math-small" })).status, 200);
    assert.equal((await post(url, { ...body, model: "org/weights-1.5b" })).status, 404);
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      data: { id: string; root: string }[];
    };
    assert.deepEqual(
      models.data.map((m) => [m.id, m.root]),
      [["math-small", "org/weights-1.5b"]],
    );
  } finally {
    await server.close();
  }
});

test("an idle keep-alive connection is closed by the server after the timeout", async () => {
  const server = await startServer({ role: "proposer", keepAliveTimeoutMs: 100 });
  const agent = new http.Agent({ keepAlive: true });
  try {
    const { closed } = await new Promise<{ closed: Promise<void> }>((resolve, reject) => {
      const req = http.get(`${server.url}/health`, { agent }, (res) => {
        res.resume();
        res.on("end", () => {
          const socket = req.socket;
          assert.ok(socket, "the response came on a socket");
          resolve({ closed: new Promise((done) => socket.once("close", () => done())) });
        });
      });
      req.on("error", reject);
    });
    // Resolves only because the server ends the idle connection (the agent would keep it).
    await closed;
  } finally {
    agent.destroy();
    await server.close();
  }
});
