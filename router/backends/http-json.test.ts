import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { getJson, IDLE_SOCKET_TIMEOUT_MS, postJson } from "./http-json.ts";

test("idle keep-alive sockets are closed by the router before vLLM's 5 s close", async () => {
  assert.ok(IDLE_SOCKET_TIMEOUT_MS < 5_000);
  const closes: string[] = [];
  const server = createServer((_req, res) => res.end('{"ok":true}'));
  // Node's own keep-alive timer off, as uvicorn sends no Keep-Alive hint the client could use.
  server.keepAliveTimeout = 0;
  server.on("connection", (socket) => {
    // 'end' is the client's FIN: the router hung up, not the server.
    socket.on("end", () => closes.push("client"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.deepEqual(await postJson(`${url}/x`, {}, new AbortController().signal), { ok: true });
    assert.deepEqual(await getJson(`${url}/y`, new AbortController().signal), { ok: true });
    // Bounded wait for the agent's idle timeout; the test's own timeout fails it otherwise.
    while (closes.length === 0) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(closes, ["client"], "one connection, reused, then closed by the client");
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("GET sends the pool's headers and no body", async () => {
  let seen: { method?: string; auth?: string; length?: string } = {};
  const server = createServer((req, res) => {
    seen = {
      method: req.method ?? "",
      auth: req.headers.authorization ?? "",
      length: req.headers["content-length"] ?? "",
    };
    res.end('{"data":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/models`;
  try {
    const headers = { authorization: "Bearer k" };
    assert.deepEqual(await getJson(url, new AbortController().signal, { headers }), { data: [] });
    assert.deepEqual(seen, { method: "GET", auth: "Bearer k", length: "" });
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
