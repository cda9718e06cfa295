// Everything a client sends is bounded: fields echoed into a status are cut and escaped (a huge
// one must not reset the client's HTTP/2 connection and the healthy calls on it), free-text
// fields have limits, an impossible token budget is the client's error (not a retryable
// RESOURCE_EXHAUSTED), and a connection that never completes a request is closed.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import { StaticPolicySource } from "../../router/policy/policy-source.ts";
import { startRouter } from "../../router/router-process.ts";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { grpcStatus, POLICY, type Stack, startStack } from "./harness.ts";

let stack: Stack;
const IDLE_MS = 400;

before(async () => {
  stack = await startStack({
    bins: 1,
    speed: speedConfig(4),
    levels: [{ strategy: Strategy.bestOfN, generations: 4 }],
    router: { connections: { idleTimeoutMs: IDLE_MS } },
  });
});
after(() => stack.close());

const prompt = "Problem 1: How many ways can 5 people choose 2 representatives?";

test("a 300 KB policy name is NOT_FOUND with a short message; a stream on the same channel survives", async () => {
  const events: string[] = [];
  const stream = (async () => {
    for await (const event of stack.client.solveStream(
      { policy: POLICY, prompt },
      { timeoutMs: 30_000 },
    )) {
      events.push(event.event.case ?? "");
    }
  })();
  const huge = "p".repeat(300 * 1024);
  const s = await grpcStatus(stack.client.solve({ policy: huge, prompt }, { timeoutMs: 30_000 }));
  assert.equal(s.code, "NOT_FOUND");
  assert.ok(s.details.length < 400, `details are ${s.details.length} characters`);
  assert.match(s.details, /unknown policy "p{200}"… \(307200 characters\)/);
  await stream;
  assert.equal(events.at(-1), "final", `stream events: ${events.join(",")}`);
});

test("a policy name with control characters is echoed escaped", async () => {
  const s = await grpcStatus(stack.client.solve({ policy: "evil\r\nX-Forged: 1", prompt }));
  assert.equal(s.code, "NOT_FOUND");
  assert.match(s.details, /unknown policy "evil\\r\\nX-Forged: 1"/);
});

test("request_id: over 128 characters or unprintable is INVALID_ARGUMENT", async () => {
  const long = await grpcStatus(
    stack.client.solve({ policy: POLICY, prompt, requestId: "r".repeat(129) }),
  );
  assert.equal(long.code, "INVALID_ARGUMENT");
  assert.match(long.details, /request_id is 129 characters/);
  const control = await grpcStatus(
    stack.client.solve({ policy: POLICY, prompt, requestId: "a\u0007b" }),
  );
  assert.equal(control.code, "INVALID_ARGUMENT");
  assert.match(control.details, /request_id must be printable ASCII, got "a\\u0007b"/);
});

test("a prompt of only zero-width characters or NULs is INVALID_ARGUMENT", async () => {
  for (const invisible of ["\u200b\u200d\ufeff", "\u0000\u0000\u0000"]) {
    const s = await grpcStatus(stack.client.solve({ policy: POLICY, prompt: invisible }));
    assert.equal(s.code, "INVALID_ARGUMENT", JSON.stringify(invisible));
    assert.match(s.details, /no visible character/);
  }
});

test("max_tokens: 1 is INVALID_ARGUMENT, never RESOURCE_EXHAUSTED", async () => {
  const s = await grpcStatus(
    stack.client.solve(
      { policy: POLICY, prompt, budget: { maxTokens: 1n } },
      { timeoutMs: 30_000 },
    ),
  );
  assert.equal(s.code, "INVALID_ARGUMENT");
  assert.match(s.details, /budget\.max_tokens is too small/);
});

// Resolves when the server closes the socket; the test's own timeout bounds the wait.
function closedByServer(send: Buffer | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(stack.router.port, "127.0.0.1", () => {
      if (send) socket.write(send);
    });
    socket.on("data", () => {}); // the server's SETTINGS and GOAWAY
    socket.on("error", reject);
    socket.on("close", () => resolve());
  });
}

test("a connection that sends only the HTTP/2 preface, or nothing, is closed", {
  timeout: 20_000,
}, async () => {
  await Promise.all([
    closedByServer(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")),
    closedByServer(undefined),
  ]);
  // The router still serves.
  const response = await stack.client.solve({ policy: POLICY, prompt }, { timeoutMs: 30_000 });
  assert.notEqual(response.answer, "");
});

test("the server pings its clients (keepalive) and ends a connection at its max age", async () => {
  const router = await startRouter({
    policies: new StaticPolicySource([]),
    engine: createEngine(),
    host: "127.0.0.1",
    port: 0,
    defaultMetrics: false,
    connections: { keepaliveTimeMs: 100, idleTimeoutMs: 600_000, maxAgeMs: 1_000 },
  });
  try {
    const session = http2.connect(`http://127.0.0.1:${router.port}`);
    let pings = 0;
    session.on("ping", () => pings++);
    session.on("error", () => {});
    // Resolves on the server's GOAWAY: the idle timeout (10 min) is not what ends it.
    const code = await new Promise<number>((resolve) => session.once("goaway", resolve));
    assert.equal(code, http2.constants.NGHTTP2_NO_ERROR);
    assert.ok(pings >= 1, `${pings} keepalive pings before the max age`);
    session.destroy();
  } finally {
    await router.shutdown(100);
  }
});
