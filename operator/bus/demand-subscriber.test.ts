import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import { DemandReportSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { DemandSubscriber } from "./demand-subscriber.ts";

// Only subscribe() is used; the test hands reports to receive() itself.
const fakeNc = { subscribe: () => ({ unsubscribe() {} }) } as unknown as NatsConnection;

function setup() {
  let now = 0;
  const changes: string[] = [];
  const metrics = createMetrics();
  const sub = new DemandSubscriber({
    nc: fakeNc,
    log: createLogger("error", {}, () => {}),
    metrics,
    window: { windowSeconds: 30, staleIntervals: 3, minSpanSeconds: 5 },
    onChange: (ns, name) => changes.push(`${ns}/${name}`),
    sweepMs: 60_000,
    now: () => now,
  });
  const report = (routerId: string, sequence: number, requests: number, urgent = false) =>
    toBinary(
      DemandReportSchema,
      create(DemandReportSchema, {
        routerId,
        sequence,
        namespace: "ns",
        policy: "math",
        windowSeconds: 5,
        urgent,
        bins: [{ bin: 1, requests }],
      }),
    );
  return {
    sub,
    changes,
    metrics,
    report,
    at: (s: number) => {
      now = s * 1000;
    },
  };
}

test("reports from two routers add up; a material change enqueues, noise does not", () => {
  const { sub, changes, report, at } = setup();
  at(5);
  sub.receive(report("a", 1, 10));
  assert.deepEqual(sub.demandFor("ns", "math"), [{ bin: 1, requestsPerSecond: 2 }]);
  assert.deepEqual(changes, ["ns/math"]);
  sub.receive(report("b", 1, 10));
  assert.deepEqual(sub.demandFor("ns", "math"), [{ bin: 1, requestsPerSecond: 4 }]);
  assert.deepEqual(sub.routersFor("ns", "math"), ["a", "b"]);
  assert.equal(changes.length, 2);
  at(10);
  // 2.1 req/s from a instead of 2: within noise.
  sub.receive(report("a", 2, 11));
  assert.equal(changes.length, 2);
  assert.equal(sub.demandFor("ns", "other"), undefined);
  sub.close();
});

test("an urgent report always enqueues; a bad one is dropped and counted", async () => {
  const { sub, changes, report, metrics, at } = setup();
  at(5);
  sub.receive(report("a", 1, 10));
  sub.receive(report("a", 2, 0, true));
  assert.equal(changes.length, 2);
  sub.receive(new Uint8Array([0xff, 0xff]));
  sub.receive(toBinary(DemandReportSchema, create(DemandReportSchema, { policy: "math" })));
  const counted = await metrics.demandReports.get();
  assert.deepEqual(Object.fromEntries(counted.values.map((v) => [v.labels.result, v.value])), {
    accepted: 2,
    rejected: 2,
  });
  sub.close();
});

test("a router that stops reporting is forgotten, and that is a change", () => {
  const { sub, changes, report, at } = setup();
  at(5);
  sub.receive(report("a", 1, 10));
  sub.receive(report("b", 1, 10));
  at(20);
  sub.receive(report("b", 2, 10));
  at(21);
  sub.sweep();
  assert.deepEqual(sub.routersFor("ns", "math"), ["b"]);
  assert.deepEqual(sub.demandFor("ns", "math"), [{ bin: 1, requestsPerSecond: 2 }]);
  assert.equal(changes.at(-1), "ns/math");
  const before = changes.length;
  at(200);
  sub.sweep();
  assert.equal(sub.demandFor("ns", "math"), undefined);
  assert.equal(changes.length, before + 1);
  sub.sweep();
  assert.equal(changes.length, before + 1);
  sub.close();
});
