import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { type PolicySnapshot, PoolSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import { BinTraffic, binReady } from "./bin-traffic.ts";
import { DemandCounters } from "./bus/demand-counters.ts";
import { EngineError } from "./engine/errors.ts";
import { makePolicy } from "./engine/testing/fixtures.ts";
import { StaticPolicySource } from "./policy/policy-source.ts";

// The policy with each bin's proposer and verifier at the given ready counts (undefined: unknown).
function withReady(ready: Record<number, number | undefined>): PolicySnapshot {
  const p = makePolicy();
  for (const row of p.binTable) {
    const n = ready[row.bin];
    const pool = (model: string) =>
      create(PoolSchema, {
        model,
        endpoints: ["http://a:8000", "http://b:8000"],
        ...(n === undefined ? {} : { readyReplicas: n }),
      });
    row.proposer = pool("p");
    row.verifier = pool("v");
  }
  return p;
}

test("binReady: unknown readiness counts as ready; bin 0 (the probe) needs any ready bin", () => {
  const cases: { ready: Record<number, number | undefined>; bin: number; want: boolean }[] = [
    { ready: {}, bin: 2, want: true },
    { ready: { 2: 0 }, bin: 2, want: false },
    { ready: { 2: 1 }, bin: 2, want: true },
    { ready: { 1: 0, 2: 0, 3: 0 }, bin: 0, want: false },
    { ready: { 1: 0, 2: 0, 3: 1 }, bin: 0, want: true },
  ];
  for (const c of cases)
    assert.equal(binReady(withReady(c.ready), c.bin), c.want, JSON.stringify(c));
});

test("step down once the bin runs stepDownQueue requests per ready proposer replica", () => {
  const policy = withReady({ 2: 2 });
  const downs: number[] = [];
  const traffic = new BinTraffic({
    policies: new StaticPolicySource([policy]),
    stepDownQueue: 2,
    onStepDown: (_p, bin) => downs.push(bin),
  });
  const steps: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    steps.push(traffic.stepDown(policy, 2));
    traffic.entered(policy, 2, 1, false);
  }
  assert.deepEqual(steps, [false, false, false, false, true]);
  traffic.finished(policy, 2, { proposerTokens: 0, verifierTokens: 0, queueWaitSeconds: 0 });
  assert.equal(traffic.stepDown(policy, 2), true);
  traffic.failed(policy, 2);
  assert.equal(traffic.runningIn(policy, 2), 3);
  assert.equal(traffic.stepDown(policy, 2), false);
  assert.deepEqual(downs, [2, 2]);
  const off = new BinTraffic({ policies: new StaticPolicySource([policy]) });
  for (let i = 0; i < 10; i++) off.entered(policy, 2, 1, false);
  assert.equal(off.stepDown(policy, 2), false);
});

test("a bin scaled to zero: the request waits, reports at once, and goes on with the new snapshot", async () => {
  const zero = withReady({ 3: 0 });
  const source = new StaticPolicySource([zero]);
  const counters = new DemandCounters("r", () => 0);
  const waited: number[] = [];
  const traffic = new BinTraffic({
    policies: source,
    counters,
    onWaiting: (_p, bin) => waited.push(bin),
  });
  const pending = traffic.ready(zero, 3, new AbortController().signal);
  assert.deepEqual(waited, [3]);
  assert.equal(counters.drain(zero).bins[0]?.waitingForReplica, 1);
  const up = withReady({ 3: 1 });
  source.set([up]);
  assert.equal(await pending, up);
  assert.deepEqual(counters.drain(zero).bins, []);
});

test("no replica before the deadline: UNAVAILABLE saying the bin is scaled to zero", async () => {
  const zero = withReady({ 3: 0 });
  const traffic = new BinTraffic({ policies: new StaticPolicySource([zero]) });
  const deadline = new AbortController();
  const pending = traffic.ready(zero, 3, deadline.signal);
  deadline.abort(new EngineError("DEADLINE_EXCEEDED", "deadline exceeded"));
  await assert.rejects(
    pending,
    (e) =>
      e instanceof EngineError &&
      e.code === "UNAVAILABLE" &&
      /policy math: bin 3 has no ready replica \(scaled to zero\); waited .*s/.test(e.message),
  );
  const allZero = withReady({ 1: 0, 2: 0, 3: 0 });
  const capped = new BinTraffic({
    policies: new StaticPolicySource([allZero]),
    maxReplicaWaitMs: 1,
  });
  await assert.rejects(
    capped.ready(allZero, 0, new AbortController().signal),
    /no bin has a ready replica \(scaled to zero\)/,
  );
});
