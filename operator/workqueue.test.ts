import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueue } from "./workqueue.ts";

test("adds of one key before processing are deduplicated", async () => {
  const q = new WorkQueue();
  q.add("a");
  q.add("a");
  q.add("b");
  assert.equal(q.length, 2);
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), "b");
});

test("a key re-added while processing runs again after done, never concurrently", async () => {
  const q = new WorkQueue();
  q.add("a");
  const first = await q.get();
  q.add("a");
  assert.equal(q.length, 0, "not handed out while still processing");
  let second: string | undefined;
  void q.get().then((k) => {
    second = k;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined);
  q.done(first as string);
  await new Promise((r) => setImmediate(r));
  assert.equal(second, "a");
});

test("a waiting worker gets a key as soon as it is added", async () => {
  const q = new WorkQueue();
  const pending = q.get();
  q.add("x");
  assert.equal(await pending, "x");
});

test("per-key exponential backoff, reset by forget", () => {
  const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
  assert.deepEqual(
    [q.addRateLimited("k"), q.addRateLimited("k"), q.addRateLimited("k"), q.addRateLimited("k")],
    [10, 20, 40, 50],
  );
  assert.equal(q.addRateLimited("other"), 10);
  q.forget("k");
  assert.equal(q.addRateLimited("k"), 10);
  q.shutDown();
});

test("rate-limited keys come back after their delay", async () => {
  const q = new WorkQueue({ baseDelayMs: 5 });
  q.addRateLimited("k");
  assert.equal(q.length, 0);
  assert.equal(await q.get(), "k");
});

test("shutDown releases waiting workers", async () => {
  const q = new WorkQueue();
  const pending = q.get();
  q.shutDown();
  assert.equal(await pending, undefined);
});

test("isDue: a key is due while queued and while it runs after being added again", async () => {
  const q = new WorkQueue();
  assert.equal(q.isDue("a"), false);
  q.add("a");
  assert.equal(q.isDue("a"), true);
  const key = (await q.get()) as string;
  assert.equal(q.isDue("a"), false, "in hand and not added again");
  q.add("a");
  assert.equal(q.isDue("a"), true);
  q.done(key);
  assert.equal(q.isDue("a"), true, "queued again");
  q.done((await q.get()) as string);
  assert.equal(q.isDue("a"), false);
});
