// A replica that dies mid-request costs a retry, not the request: the call that was cut off is
// placed on another replica, the dead one is ejected and counted in the backend errors metric.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import type { Fleet, Replica } from "../../sim/fleet.ts";
import { POLICY, startStack } from "./harness.ts";

// The proposer replica that is generating right now (bounded wait).
async function busyProposer(fleet: Fleet): Promise<Replica> {
  for (let i = 0; i < 500; i++) {
    const busy = fleet.replicas.find(
      (r) => r.role === "proposer" && r.server.scheduler.running > 0,
    );
    if (busy) return busy;
    await sleep(10);
  }
  throw new Error("no proposer ever got busy");
}

test("a proposer killed mid-request: the request still completes on the other replica", async () => {
  const stack = await startStack({
    bins: 1,
    replicas: 2,
    speed: speedConfig(3),
    levels: [{ strategy: Strategy.beam, generations: 4, beamWidth: 2, maxSteps: 12 }],
  });
  try {
    const pending = stack.client.solve(
      { policy: POLICY, prompt: "Problem 4: How many ways can 9 people choose 3 representatives?" },
      { timeoutMs: 60_000 },
    );
    const victim = await busyProposer(stack.fleet);
    await stack.fleet.kill(victim.url);
    const response = await pending;
    assert.notEqual(response.answer, "");
    assert.equal(response.partial, false);
    const errors = await stack.router.metrics.backendErrors.get();
    const forVictim = errors.values.filter((v) => v.labels.endpoint === victim.url);
    assert.ok(forVictim.length > 0, `backend errors: ${JSON.stringify(errors.values)}`);
    assert.ok(forVictim.every((v) => v.labels.role === "proposer"));

    // The next request goes straight to the survivor.
    const again = await stack.client.solve(
      { policy: POLICY, prompt: "Problem 5: Find the remainder when 3^7 is divided by 5." },
      { timeoutMs: 60_000 },
    );
    assert.notEqual(again.answer, "");
  } finally {
    await stack.close();
  }
});

test("a verifier killed mid-request: scoring moves to the other replica", async () => {
  const stack = await startStack({ bins: 1, replicas: 2 });
  try {
    const [first] = stack.fleet.replicas.filter((r) => r.role === "verifier");
    assert.ok(first);
    await stack.fleet.kill(first.url);
    for (let i = 0; i < 3; i++) {
      const response = await stack.client.solve(
        { policy: POLICY, prompt: `Problem ${10 + i}: what is ${i} + 40?` },
        { timeoutMs: 30_000 },
      );
      assert.notEqual(response.answer, "");
    }
    const errors = await stack.router.metrics.backendErrors.get();
    const total = errors.values
      .filter((v) => v.labels.endpoint === first.url)
      .reduce((s, v) => s + v.value, 0);
    assert.ok(total >= 1 && total <= 3, `the dead verifier was ejected after ${total} failures`);
  } finally {
    await stack.close();
  }
});
