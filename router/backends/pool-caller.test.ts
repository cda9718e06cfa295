import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { EngineError } from "../engine/errors.ts";
import { EndpointPool } from "./endpoint-pool.ts";
import { postJson } from "./http-json.ts";
import { type Affinity, callPool } from "./pool-caller.ts";

async function listen(handler: Parameters<typeof createServer>[1]): Promise<[Server, string]> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
}

// An address nothing listens on: bind, note the port, close.
async function deadEndpoint(): Promise<string> {
  const [server, url] = await listen(() => {});
  await new Promise((resolve) => server.close(resolve));
  return url;
}

const options = { callTimeoutMs: 2_000, maxAttempts: 3 };

test("a refused connection is retried on another replica and the dead one ejected", async () => {
  const hits: string[] = [];
  const [server, live] = await listen((req, res) => {
    hits.push(req.url ?? "");
    res.setHeader("content-type", "application/json");
    res.end('{"ok":true}');
  });
  const dead = await deadEndpoint();
  const errors: string[] = [];
  const pool = new EndpointPool("proposer", "m", [dead, live]);
  const affinity: Affinity = new Map();
  try {
    for (let i = 0; i < 4; i++) {
      const result = await callPool(
        pool,
        affinity,
        new AbortController().signal,
        { ...options, onBackendError: (_p, endpoint) => errors.push(endpoint) },
        (endpoint, signal) => postJson(`${endpoint}/x`, {}, signal),
      );
      assert.deepEqual(result, { ok: true });
    }
    assert.equal(hits.length, 4);
    assert.ok(errors.length <= 1, "the dead replica is ejected after its first failure");
    assert.equal(pool.replicas[0]?.healthy, false);
    assert.equal(affinity.get(pool)?.endpoint, live);
  } finally {
    server.close();
  }
});

test("an HTTP 400 is not retried and becomes INVALID_ARGUMENT with vLLM's message", async () => {
  let hits = 0;
  const handler: Parameters<typeof createServer>[1] = (_req, res) => {
    hits++;
    res.statusCode = 400;
    res.end('{"message":"maximum context length is 4096 tokens"}');
  };
  const [a, urlA] = await listen(handler);
  const [b, urlB] = await listen(handler);
  try {
    const pool = new EndpointPool("proposer", "m", [urlA, urlB]);
    await assert.rejects(
      callPool(pool, new Map(), new AbortController().signal, options, (e, s) =>
        postJson(`${e}/x`, {}, s),
      ),
      (e: unknown) =>
        e instanceof EngineError && e.code === "INVALID_ARGUMENT" && /4096 tokens/.test(e.message),
    );
    assert.equal(hits, 1);
  } finally {
    a.close();
    b.close();
  }
});

test("every replica down is UNAVAILABLE naming each failure", async () => {
  const pool = new EndpointPool("verifier", "prm", [await deadEndpoint(), await deadEndpoint()]);
  await assert.rejects(
    callPool(pool, new Map(), new AbortController().signal, options, (e, s) =>
      postJson(`${e}/x`, {}, s),
    ),
    (e: unknown) =>
      e instanceof EngineError &&
      e.code === "UNAVAILABLE" &&
      /verifier pool "prm": no replica answered/.test(e.message) &&
      /ECONNREFUSED/.test(e.message),
  );
});

test("the request's abort reason passes through and does not eject the replica", async () => {
  const [server, url] = await listen(() => {
    // never answers
  });
  try {
    const pool = new EndpointPool("proposer", "m", [url]);
    const controller = new AbortController();
    const reason = new EngineError("DEADLINE_EXCEEDED", "deadline exceeded");
    const pending = callPool(pool, new Map(), controller.signal, options, (e, s) =>
      postJson(`${e}/x`, {}, s),
    );
    setImmediate(() => controller.abort(reason));
    await assert.rejects(pending, (e: unknown) => e === reason);
    assert.equal(pool.replicas[0]?.healthy, true);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
