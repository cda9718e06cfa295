// mull_bin_queue_wait_seconds{policy,bin}: the per-bin wait the scaling alert
// MullBinQueueWaitHigh (charts/mull/rules) reads. With one slot and three requests at once in bin
// 1, two of them wait for the slot; every request is observed in its own bin, and only there.
import assert from "node:assert/strict";
import { test } from "node:test";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { POLICY, startStack } from "./harness.ts";

test("requests that waited for a slot are observed in their bin's queue-wait histogram", async () => {
  const stack = await startStack({ bins: 2, speed: speedConfig(5), router: { maxInFlight: 1 } });
  try {
    await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        stack.client.solve(
          { policy: POLICY, prompt: `Problem ${i}: What is ${i} + 4?`, difficultyHint: 1 },
          { timeoutMs: 60_000 },
        ),
      ),
    );
    const values = (await stack.router.metrics.binQueueWait.get()).values;
    const of = (bin: string, name: string) =>
      values.find(
        (v) => v.metricName === name && v.labels.bin === bin && v.labels.policy === POLICY,
      )?.value;
    assert.equal(of("1", "mull_bin_queue_wait_seconds_count"), 3);
    assert.equal(of("2", "mull_bin_queue_wait_seconds_count"), undefined, "bin 2 saw nothing");
    // Two requests queued behind the first one's whole solve.
    const waited = of("1", "mull_bin_queue_wait_seconds_sum") ?? 0;
    assert.ok(waited > 0, `waited ${waited}s in total`);
    // The global histogram saw the same three waits.
    const global = (await stack.router.metrics.queueWait.get()).values.find(
      (v) => v.metricName === "mull_queue_wait_seconds_count",
    )?.value;
    assert.equal(global, 3);
  } finally {
    await stack.close();
  }
});
