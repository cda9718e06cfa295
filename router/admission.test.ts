import assert from "node:assert/strict";
import { test } from "node:test";
import { Admission } from "./admission.ts";
import { EngineError } from "./engine/errors.ts";

const live = () => new AbortController().signal;

test("admits up to the limit, queues up to the bound, refuses beyond with a clear message", async () => {
  const admission = new Admission({ maxInFlight: 2, maxQueue: 1 });
  const a = await admission.acquire(live());
  await admission.acquire(live());
  const queued = admission.acquire(live());
  await assert.rejects(
    admission.acquire(live()),
    (e: unknown) =>
      e instanceof EngineError &&
      e.code === "RESOURCE_EXHAUSTED" &&
      e.message === "router at capacity: 2 in flight, 1 queued",
  );
  a();
  const c = await queued;
  assert.equal(admission.inFlight, 2);
  assert.equal(admission.queued, 0);
  c();
  a(); // releasing twice is harmless
  assert.equal(admission.inFlight, 1);
});

test("a queued request whose deadline passes leaves the queue with its reason", async () => {
  const admission = new Admission({ maxInFlight: 1, maxQueue: 5 });
  const release = await admission.acquire(live());
  const controller = new AbortController();
  const waiting = admission.acquire(controller.signal);
  const reason = new EngineError("DEADLINE_EXCEEDED", "deadline exceeded while queued");
  controller.abort(reason);
  await assert.rejects(waiting, (e: unknown) => e === reason);
  assert.equal(admission.queued, 0);
  release();
  await admission.idle();
});

test("close fails queued requests as UNAVAILABLE, refuses new ones, and idle waits for running", async () => {
  const admission = new Admission({ maxInFlight: 1, maxQueue: 5 });
  const release = await admission.acquire(live());
  const queued = admission.acquire(live());
  admission.close("router shutting down");
  await assert.rejects(
    queued,
    (e: unknown) => e instanceof EngineError && e.code === "UNAVAILABLE",
  );
  await assert.rejects(admission.acquire(live()), /router shutting down/);
  let idle = false;
  const done = admission.idle().then(() => {
    idle = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false);
  release();
  await done;
  assert.equal(idle, true);
});
