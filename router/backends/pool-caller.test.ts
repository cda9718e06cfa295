import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { EngineError } from "../engine/errors.ts";
import { EndpointPool } from "./endpoint-pool.ts";
import { BadResponseError, ConnectionError, HttpStatusError, postJson } from "./http-json.ts";
import { type Affinity, callPool, callTimeoutFor, failureReason } from "./pool-caller.ts";

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
const httpError = (status: number) => new HttpStatusError("u", status, "");
const connError = (code: string) =>
  new ConnectionError(
    "u",
    code.startsWith("E") ? Object.assign(new Error(code), { code }) : new Error(code),
  );

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

test("5xx and unparseable answers are replica failures, retried on another replica", async () => {
  const cases: [string, (res: ServerResponse) => void, string][] = [
    ["500", (res) => res.writeHead(500).end('{"error":{"message":"engine died"}}'), "http_500"],
    ["503", (res) => res.writeHead(503).end(), "http_503"],
    ["invalid JSON", (res) => res.writeHead(200).end('{"choices": [NaN]}'), "invalid_json"],
  ];
  for (const [name, answer, reason] of cases) {
    let badHits = 0;
    const [bad, badUrl] = await listen((_req, res) => {
      badHits++;
      answer(res);
    });
    const [good, goodUrl] = await listen((_req, res) => res.end('{"ok":true}'));
    const errors: string[] = [];
    try {
      const pool = new EndpointPool("proposer", "m", [badUrl, goodUrl]);
      for (let i = 0; i < 10; i++) {
        const result = await callPool(
          pool,
          new Map(),
          new AbortController().signal,
          { ...options, onBackendError: (_p, _e, r) => errors.push(r) },
          (e, s) => postJson(`${e}/x`, {}, s),
        );
        assert.deepEqual(result, { ok: true }, name);
      }
      assert.equal(badHits, 1, `${name}: ejected after its first failure`);
      assert.deepEqual(errors, [reason], name);
      assert.equal(pool.replicas[0]?.healthy, false, name);
    } finally {
      bad.close();
      good.close();
    }
  }
});

test("a malformed 2xx (the parser's BadResponseError) is a replica failure", async () => {
  const [server, url] = await listen((_req, res) => res.end("{}"));
  const [good, goodUrl] = await listen((_req, res) => res.end('{"choices":[]}'));
  try {
    const pool = new EndpointPool("proposer", "m", [url, goodUrl]);
    const reasons: string[] = [];
    const result = await callPool(
      pool,
      new Map(),
      new AbortController().signal,
      { ...options, onBackendError: (_p, _e, r) => reasons.push(r) },
      async (e, s) => {
        const raw = (await postJson(`${e}/x`, {}, s)) as { choices?: unknown };
        if (!Array.isArray(raw.choices)) throw new BadResponseError(e, "no choices array");
        return raw;
      },
    );
    assert.deepEqual(result, { choices: [] });
    assert.ok(reasons.length <= 1 && reasons.every((r) => r === "bad_response"));
  } finally {
    server.close();
    good.close();
  }
});

test("a reset on a reused keep-alive socket is retried once on a fresh one, without ejection", async () => {
  let requests = 0;
  const [server, url] = await listen((req, res) => {
    requests++;
    // The second request on a connection meets a socket the server is closing (uvicorn's
    // 5 s keep-alive close racing the next request).
    if (requests === 2) {
      req.socket.destroy();
      return;
    }
    res.end('{"ok":true}');
  });
  try {
    const pool = new EndpointPool("proposer", "m", [url]);
    const errors: string[] = [];
    const call = () =>
      callPool(
        pool,
        new Map(),
        new AbortController().signal,
        { ...options, onBackendError: (_p, _e, r) => errors.push(r) },
        (e, s) => postJson(`${e}/x`, {}, s),
      );
    assert.deepEqual(await call(), { ok: true });
    assert.deepEqual(await call(), { ok: true });
    assert.equal(requests, 3, "the reset request was sent again");
    assert.deepEqual(errors, []);
    assert.equal(pool.replicas[0]?.healthy, true);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("a hung replica times out (reason timeout) and the call moves on", async () => {
  const [hung, hungUrl] = await listen(() => {});
  const [good, goodUrl] = await listen((_req, res) => res.end('{"ok":true}'));
  try {
    const pool = new EndpointPool("verifier", "prm", [hungUrl, goodUrl]);
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await callPool(
        pool,
        new Map(),
        new AbortController().signal,
        { callTimeoutMs: 100, maxAttempts: 3, onBackendError: (_p, _e, r) => reasons.push(r) },
        (e, s) => postJson(`${e}/x`, {}, s),
      );
      assert.deepEqual(result, { ok: true });
    }
    assert.ok(reasons.length <= 1 && reasons.every((r) => r === "timeout"), String(reasons));
  } finally {
    hung.closeAllConnections();
    hung.close();
    good.close();
  }
});

test("the per-call timeout grows with the tokens a call may generate", () => {
  const call = { callTimeoutMs: 30_000, callTimeoutPerTokenMs: 50, maxAttempts: 3 };
  assert.equal(callTimeoutFor(call), 30_000);
  assert.equal(callTimeoutFor(call, 512), 55_600);
  assert.equal(callTimeoutFor(call, 2048), 132_400);
  assert.equal(callTimeoutFor({ callTimeoutMs: 1_000, maxAttempts: 1 }, 2048), 1_000);
});

test("failure reasons: 5xx and broken answers are the replica's, 4xx are not", () => {
  assert.equal(failureReason(httpError(500)), "http_500");
  assert.equal(failureReason(httpError(502)), "http_502");
  assert.equal(failureReason(httpError(400)), undefined);
  assert.equal(failureReason(httpError(401)), undefined);
  assert.equal(failureReason(httpError(429)), undefined);
  assert.equal(failureReason(new BadResponseError("u", "x", "invalid_json")), "invalid_json");
  assert.equal(failureReason(new BadResponseError("u", "x")), "bad_response");
  assert.equal(failureReason(new DOMException("t", "TimeoutError")), "timeout");
  assert.equal(failureReason(connError("ECONNREFUSED")), "econnrefused");
  assert.equal(failureReason(connError("connection closed mid-response")), "connection");
  assert.equal(failureReason(new Error("a bug")), undefined);
});
