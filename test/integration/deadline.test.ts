// The caller's deadline reaches the engine and the backends: a request that cannot finish in
// time answers DEADLINE_EXCEEDED or its best-so-far (partial), and its backend calls are cut
// off rather than left running on the fleet.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { POLICY, startStack } from "./harness.ts";

const prompt = "Problem 6: The sides of a triangle are 12 and 30; sum all integer third sides.";

test("a deadline too short for the search: DEADLINE_EXCEEDED or a partial best-so-far", async () => {
  const stack = await startStack({
    bins: 1,
    speed: speedConfig(1),
    levels: [{ strategy: Strategy.revision, generations: 16, sequentialRatio: 1 }],
  });
  try {
    const outcomes: string[] = [];
    for (const timeoutMs of [300, 1_500]) {
      try {
        const response = await stack.client.solve(
          { policy: POLICY, prompt, difficultyHint: 1, budget: { maxGenerations: 16 } },
          { timeoutMs },
        );
        assert.equal(response.partial, true, "an answer inside the deadline is marked partial");
        assert.ok((response.usage?.generations ?? 0) < 16);
        outcomes.push("partial");
      } catch (error) {
        assert.equal((error as grpc.ServiceError).code, grpc.status.DEADLINE_EXCEEDED);
        outcomes.push("DEADLINE_EXCEEDED");
      }
    }
    // Whatever the outcome, the fleet stops working on the abandoned request.
    const proposer = stack.fleet.replicas.find((r) => r.role === "proposer");
    for (let i = 0; i < 200 && (proposer?.server.scheduler.running ?? 0) > 0; i++) await sleep(10);
    assert.equal(proposer?.server.scheduler.running, 0, `outcomes: ${outcomes.join(", ")}`);
  } finally {
    await stack.close();
  }
});

test("a deadline already spent is DEADLINE_EXCEEDED and costs the fleet nothing", async () => {
  const stack = await startStack({ bins: 1 });
  try {
    await assert.rejects(
      stack.client.solve({ policy: POLICY, prompt }, { deadline: Date.now() - 1 }),
      (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED,
    );
    const served = stack.fleet.replicas.reduce(
      (n, r) => n + r.server.scheduler.running + r.server.scheduler.waiting,
      0,
    );
    assert.equal(served, 0);
  } finally {
    await stack.close();
  }
});
