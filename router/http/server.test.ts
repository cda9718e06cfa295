// The front door's own HTTP behaviour, over a stand-in for the shared request handling (the real
// one is tested in test/integration/openai.test.ts): connection bounds, errors after the 200,
// draining.
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  type SolveEvent,
  type SolveRequest,
  SolveResponseSchema,
} from "../../proto/gen/mull/v1/router_pb.ts";
import { EngineError } from "../engine/errors.ts";
import { StaticPolicySource } from "../policy/policy-source.ts";
import type { CallLifetime } from "../service/deadline.ts";
import type { SolveService } from "../service/solve-service.ts";
import { startHttpFrontDoor } from "./server.ts";

// Answers at once, or waits for `release` when the prompt is "wait"; fails after the 200 when the
// prompt is "fail late".
function fakeService() {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const lifetimes: CallLifetime[] = [];
  const answer = (request: SolveRequest) =>
    create(SolveResponseSchema, { requestId: request.requestId || "id", solution: "\\boxed{4}" });
  const service: SolveService = {
    policies: new StaticPolicySource([]),
    solve: async (request, call) => {
      lifetimes.push(call);
      if (request.prompt === "wait") await released;
      return answer(request);
    },
    solveStream: async (request, call, send, onAdmitted) => {
      lifetimes.push(call);
      onAdmitted?.();
      if (request.prompt === "fail late") throw new EngineError("UNAVAILABLE", "pool gone");
      const response = answer(request);
      send({ event: { case: "final", value: response } } as SolveEvent);
      return response;
    },
    estimateDifficulty: () => Promise.reject(new Error("unused")),
  };
  return { service, release, lifetimes };
}

async function start(service: SolveService, timeouts = {}) {
  return startHttpFrontDoor(service, {
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1024,
    defaultTimeoutMs: 10_000,
    ...timeouts,
  });
}

function closed(socket: net.Socket): Promise<string> {
  let data = "";
  socket.on("data", (d) => {
    data += d;
  });
  socket.on("error", () => {});
  return new Promise((resolve) => socket.on("close", () => resolve(data)));
}

test("a silent connection and a request too slow to arrive are closed", async () => {
  const quiet = await start(fakeService().service, {
    headersTimeoutMs: 200,
    requestTimeoutMs: 300,
  });
  // Its own server, with room for its headers: on a busy machine the connect callback that writes
  // them may run after a 200 ms headers timeout, which would close it without the 408.
  const slowDoor = await start(fakeService().service, {
    headersTimeoutMs: 2000,
    requestTimeoutMs: 2500,
  });
  try {
    const silent = net.connect(quiet.port, "127.0.0.1");
    const slow = net.connect(slowDoor.port, "127.0.0.1", () =>
      slow.write("POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"),
    );
    assert.equal(await closed(silent), "");
    assert.match(await closed(slow), /^HTTP\/1.1 408 /);
  } finally {
    await quiet.shutdown(100);
    await slowDoor.shutdown(100);
  }
});

test("a malformed request line gets 400 and the server keeps serving", async () => {
  const door = await start(fakeService().service);
  try {
    const bad = net.connect(door.port, "127.0.0.1", () => bad.write("NOT HTTP AT ALL\r\n\r\n"));
    assert.match(await closed(bad), /^HTTP\/1.1 400 /);
    const res = await fetch(`http://127.0.0.1:${door.port}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", prompt: "2+2" }),
    });
    assert.equal(res.status, 200);
  } finally {
    await door.shutdown(100);
  }
});

test("an error after the 200 travels as an error event, then [DONE]", async () => {
  const door = await start(fakeService().service);
  try {
    const res = await fetch(`http://127.0.0.1:${door.port}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "fail late" }],
      }),
    });
    assert.equal(res.status, 200);
    const events = (await res.text()).split("\n\n").filter(Boolean);
    assert.equal(events.length, 3, events.join("|"));
    assert.match(events[1] ?? "", /^data: \{"error":\{"message":"pool gone","type":"server_error"/);
    assert.equal(events[2], "data: [DONE]");
  } finally {
    await door.shutdown(100);
  }
});

test("draining: the request in flight finishes, then new connections are refused", async () => {
  const fake = fakeService();
  const door = await start(fake.service);
  const url = `http://127.0.0.1:${door.port}/v1/completions`;
  const agent = { method: "POST", body: JSON.stringify({ model: "m", prompt: "wait" }) };
  const inFlight = fetch(url, agent);
  while (fake.lifetimes.length === 0) await new Promise((r) => setTimeout(r, 5));
  const stopping = door.shutdown(5_000);
  fake.release();
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.match(await res.text(), /boxed\{4\}/);
  await stopping;
  await assert.rejects(fetch(url, agent), /fetch failed/);
});
