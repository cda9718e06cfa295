import assert from "node:assert/strict";
import { test } from "node:test";
import { EndpointPool } from "./endpoint-pool.ts";
import type { Replica } from "./replica.ts";

const ejection = { ejectBaseMs: 1_000, ejectMaxMs: 8_000 };

function pool(n: number, clock: { t: number }) {
  const endpoints = Array.from({ length: n }, (_, i) => `http://r${i}`);
  return new EndpointPool("proposer", "m", endpoints, { ejection, now: () => clock.t });
}

test("picks the replica with the fewest outstanding calls", () => {
  const clock = { t: 0 };
  const p = pool(3, clock);
  const [a, b, c] = p.replicas;
  a?.begin();
  a?.begin();
  c?.begin();
  assert.equal(p.pick(undefined, new Set()), b);
});

test("keeps a request on its replica while healthy, even when busier", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a] = p.replicas;
  a?.begin();
  a?.begin();
  assert.equal(p.pick(a, new Set()), a);
  a?.failed(clock.t);
  assert.notEqual(p.pick(a, new Set()), a);
});

test("ejects a failing replica, then lets one probe through after the window", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a, b] = p.replicas as [Replica, Replica];
  a.failed(clock.t);
  for (let i = 0; i < 5; i++) assert.equal(p.pick(undefined, new Set()), b);
  clock.t = 1_000;
  b?.begin();
  assert.equal(p.pick(undefined, new Set([b])), a, "probe allowed after the window");
  a?.begin();
  assert.equal(p.pick(undefined, new Set([b])), a, "panic mode: nothing else left");
  a?.end();
  a?.succeeded();
  assert.ok(a?.healthy);
});

test("ejection windows double with consecutive failures up to the cap", () => {
  const clock = { t: 0 };
  const [a] = pool(1, clock).replicas;
  const windows: number[] = [];
  for (let i = 0; i < 5; i++) {
    a?.failed(clock.t);
    windows.push((a?.ejectedUntilMs ?? 0) - clock.t);
  }
  assert.deepEqual(windows, [1_000, 2_000, 4_000, 8_000, 8_000]);
});

test("returns undefined once every replica was tried", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  assert.equal(p.pick(undefined, new Set(p.replicas)), undefined);
});

test("setEndpoints keeps the state of replicas that stay", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a] = p.replicas as [Replica, Replica];
  a.failed(0);
  p.setEndpoints(["http://r0", "http://r9"]);
  assert.equal(p.replicas[0], a);
  assert.equal(a.healthy, false);
  assert.equal(p.replicas[1]?.endpoint, "http://r9");
});
