// Overload is answered, not absorbed: past the in-flight limit and the wait queue a request is
// refused with RESOURCE_EXHAUSTED at once. And no request is ever lost: every call sent gets
// exactly one terminal status, whatever mix of good, bad and overloaded calls arrives.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { POLICY, startStack } from "./harness.ts";

const prompt = "Problem 2: Find the remainder when 7^5 is divided by 11.";

function code(error: unknown): string {
  return grpc.status[(error as grpc.ServiceError).code] ?? "UNKNOWN";
}

test("beyond in-flight + queue, requests get RESOURCE_EXHAUSTED naming the load", async () => {
  // A real-speed replica: each request takes long enough that all eight arrive while the first
  // ones are still running.
  const stack = await startStack({
    bins: 1,
    speed: speedConfig(5),
    router: { maxInFlight: 2, maxQueue: 2 },
  });
  try {
    const calls = Array.from({ length: 8 }, () =>
      stack.client.solve({ policy: POLICY, prompt, difficultyHint: 1 }, { timeoutMs: 60_000 }).then(
        () => ({ code: "OK", details: "" }),
        (e: grpc.ServiceError) => ({ code: code(e), details: e.details }),
      ),
    );
    const results = await Promise.all(calls);
    const refused = results.filter((r) => r.code === "RESOURCE_EXHAUSTED");
    assert.equal(results.filter((r) => r.code === "OK").length, 4, JSON.stringify(results));
    assert.equal(refused.length, 4);
    for (const r of refused) assert.equal(r.details, "router at capacity: 2 in flight, 2 queued");
    const metrics =
      await stack.router.metrics.registry.getSingleMetricAsString("mull_requests_total");
    assert.match(metrics, /code="RESOURCE_EXHAUSTED"\} 4/);
  } finally {
    await stack.close();
  }
});

test("a burst of mixed requests: every one gets exactly one terminal status", async () => {
  const stack = await startStack({ bins: 2, router: { maxInFlight: 3, maxQueue: 4 } });
  try {
    const sent = 60;
    const settled = new Array<number>(sent).fill(0);
    const calls = Array.from({ length: sent }, (_, i) => {
      const kind = i % 5;
      const request =
        kind === 0
          ? { policy: POLICY, prompt: "" } // INVALID_ARGUMENT
          : kind === 1
            ? { policy: "nope", prompt } // NOT_FOUND
            : { policy: POLICY, prompt: `${prompt} (${i})` };
      const timeoutMs = kind === 2 ? 1 : 30_000; // some run out of time at once
      return stack.client.solve(request, { timeoutMs }).then(
        () => {
          settled[i] = (settled[i] ?? 0) + 1;
          return "OK";
        },
        (e: unknown) => {
          settled[i] = (settled[i] ?? 0) + 1;
          return code(e);
        },
      );
    });
    const codes = await Promise.all(calls);
    assert.ok(
      settled.every((n) => n === 1),
      "each call settled exactly once",
    );
    const counts = Object.groupBy(codes, (c) => c);
    assert.equal(codes.length, sent);
    assert.equal(counts.INVALID_ARGUMENT?.length, sent / 5);
    assert.equal(counts.NOT_FOUND?.length, sent / 5);
    assert.ok((counts.OK?.length ?? 0) > 0, JSON.stringify(Object.keys(counts)));
    const known = new Set([
      "OK",
      "INVALID_ARGUMENT",
      "NOT_FOUND",
      "RESOURCE_EXHAUSTED",
      "DEADLINE_EXCEEDED",
    ]);
    for (const c of codes) assert.ok(known.has(c), `unexpected status ${c}`);
    // The server's own count agrees, except for calls whose 1 ms deadline ran out before they
    // reached the handler (grpc-js answers those itself).
    await stack.router.admission.idle();
    const metric = await stack.router.metrics.requests.get();
    const total = metric.values.reduce((sum, v) => sum + v.value, 0);
    const expired = counts.DEADLINE_EXCEEDED?.length ?? 0;
    assert.ok(total <= sent && total >= sent - expired, `server counted ${total} of ${sent}`);
  } finally {
    await stack.close();
  }
});
