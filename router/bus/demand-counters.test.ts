import assert from "node:assert/strict";
import { test } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { DemandReportSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { DemandCounters } from "./demand-counters.ts";

const math = { namespace: "ns", name: "math" };

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("a report counts arrivals by bin and level, finishes with their tokens, and errors", () => {
  const c = clock();
  const counters = new DemandCounters("r1", c.now);
  counters.touch(math);
  c.advance(5_000);
  counters.arrived(math, 2, 1, false);
  counters.arrived(math, 2, 0, true);
  counters.arrived(math, 3, 2, false);
  counters.finished(math, 2, { proposerTokens: 100, verifierTokens: 40, queueWaitSeconds: 0.5 });
  counters.failed(math, 3);
  assert.deepEqual(toJson(DemandReportSchema, counters.drain(math)), {
    routerId: "r1",
    policy: "math",
    namespace: "ns",
    windowSeconds: 5,
    sequence: 1,
    bins: [
      {
        bin: 2,
        requests: 2,
        requestsByLevel: [1, 1],
        steppedDown: 1,
        finished: 1,
        proposerTokens: 100,
        verifierTokens: 40,
        queueWaitSeconds: 0.5,
      },
      { bin: 3, requests: 1, requestsByLevel: [0, 0, 1], errors: 1 },
    ],
  });
});

test("each drain starts a new window; an idle policy still reports, with the next sequence", () => {
  const c = clock();
  const counters = new DemandCounters("r1", c.now);
  counters.arrived(math, 1, 0, false);
  c.advance(2_000);
  assert.equal(counters.drain(math).bins[0]?.requests, 1);
  c.advance(5_000);
  const idle = counters.drain(math);
  assert.deepEqual([idle.sequence, idle.windowSeconds, idle.bins.length], [2, 5, 0]);
});

test("waiting for a replica is a level carried into every report until it ends", () => {
  const c = clock();
  const counters = new DemandCounters("r1", c.now);
  counters.waiting(math, 3, 1);
  counters.waiting(math, 3, 1);
  const urgent = counters.drain(math, true);
  assert.equal(urgent.urgent, true);
  assert.deepEqual(
    urgent.bins.map((b) => [b.bin, b.waitingForReplica]),
    [[3, 2]],
  );
  assert.equal(counters.drain(math).bins[0]?.waitingForReplica, 2);
  counters.waiting(math, 3, -1);
  counters.waiting(math, 3, -1);
  assert.deepEqual(counters.drain(math).bins, []);
});
