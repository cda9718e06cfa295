import assert from "node:assert/strict";
import { test } from "node:test";
import { EndpointPool, type PoolHealthEvent } from "./endpoint-pool.ts";
import type { Lease, Replica } from "./replica.ts";

const ejection = { ejectBaseMs: 1_000, ejectMaxMs: 8_000, failureHalfLifeMs: 1_000 };

function pool(n: number, clock: { t: number }, events: PoolHealthEvent[] = []) {
  const endpoints = Array.from({ length: n }, (_, i) => `http://r${i}`);
  return new EndpointPool("proposer", "m", endpoints, {
    ejection,
    now: () => clock.t,
    onHealth: (e) => events.push(e),
  });
}

// One call placed the way pool-caller places it, settled at once.
function call(p: EndpointPool, ok: (r: Replica) => boolean, preferred?: Replica): Replica {
  const r = p.pick(preferred, new Set()) as Replica;
  const lease = r.begin(p.now());
  if (ok(r)) r.succeeded(lease);
  else r.failed(lease, p.now(), "http_500");
  return r;
}

test("picks the replica with the fewest outstanding calls", () => {
  const clock = { t: 0 };
  const p = pool(3, clock);
  const [a, b, c] = p.replicas as [Replica, Replica, Replica];
  a.begin(0);
  a.begin(0);
  c.begin(0);
  assert.equal(p.pick(undefined, new Set()), b);
});

test("keeps a request on its replica while healthy, even when busier", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a] = p.replicas as [Replica, Replica];
  a.begin(0);
  const lease = a.begin(0);
  assert.equal(p.pick(a, new Set()), a);
  a.failed(lease, clock.t, "timeout");
  assert.notEqual(p.pick(a, new Set()), a);
});

test("an ejected replica gets exactly one probe after its window, even with a healthy peer", () => {
  const clock = { t: 0 };
  const events: PoolHealthEvent[] = [];
  const p = pool(2, clock, events);
  const [a, b] = p.replicas as [Replica, Replica];
  a.failed(a.begin(0), 0, "http_500");
  for (let i = 0; i < 5; i++)
    assert.equal(
      call(p, () => true),
      b,
      "ejected: no traffic",
    );
  clock.t = 1_000;
  const probe = p.pick(undefined, new Set()) as Replica;
  assert.equal(probe, a, "the window has passed: the next call probes");
  const lease = probe.begin(clock.t);
  assert.equal(lease.probe, true);
  for (let i = 0; i < 5; i++) {
    assert.equal(p.pick(undefined, new Set()), b, "one probe at a time");
  }
  a.succeeded(lease);
  assert.ok(a.healthy, "the probe's success re-admits");
  assert.deepEqual(
    events.map((e) => [e.kind, e.endpoint, e.kind === "ejected" ? e.windowMs : 0]),
    [
      ["ejected", "http://r0", 1_000],
      ["readmitted", "http://r0", 0],
    ],
  );
  assert.equal(events[0]?.pool, p);
});

test("each failed probe doubles the window, up to the cap", () => {
  const clock = { t: 0 };
  const events: PoolHealthEvent[] = [];
  const p = pool(2, clock, events);
  const [a] = p.replicas as [Replica, Replica];
  a.failed(a.begin(0), 0, "econnrefused");
  const windows = [a.ejectedUntilMs - clock.t];
  for (let i = 0; i < 5; i++) {
    clock.t = a.ejectedUntilMs;
    const probed = call(p, (r) => r !== a);
    assert.equal(probed, a);
    windows.push(a.ejectedUntilMs - clock.t);
  }
  assert.deepEqual(windows, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  assert.deepEqual(
    events.map((e) => e.kind === "ejected" && e.probe),
    [false, true, true, true, true, true],
  );
});

test("calls already in flight when a replica is ejected do not stretch its window", () => {
  const clock = { t: 0 };
  const events: PoolHealthEvent[] = [];
  const p = pool(2, clock, events);
  const [a] = p.replicas as [Replica, Replica];
  const leases: Lease[] = Array.from({ length: 10 }, () => a.begin(0));
  for (const lease of leases) a.failed(lease, 10, "econnreset");
  assert.equal(events.length, 1);
  assert.equal(a.ejectedUntilMs, 1_010);
  assert.equal(a.outstanding, 0);
});

test("recent failures weigh on picking after re-admission, and fade", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a, b] = p.replicas as [Replica, Replica];
  a.failed(a.begin(0), 0, "http_500");
  clock.t = 1_000;
  call(p, () => true); // the probe succeeds
  assert.ok(a.healthy);
  // At zero load a least-outstanding picker would alternate; a, which just failed (and, failing
  // fast, would always look idle), gets a smaller share.
  const share = (picks: number) => {
    let count = 0;
    for (let i = 0; i < picks; i++) if (call(p, () => true) === a) count++;
    return count;
  };
  const early = share(30);
  assert.ok(early > 0 && early <= 10, `a got ${early} of 30 picks right after re-admission`);
  clock.t += 10_000; // ten half-lives
  const later = share(30);
  assert.ok(later >= 14, `a got ${later} of 30 picks once its failure faded`);
  assert.equal(b.outstanding, 0);
});

test("a replica that keeps failing fast gets a shrinking share, not the traffic", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a] = p.replicas as [Replica, Replica];
  let toA = 0;
  for (let i = 0; i < 200; i++) {
    clock.t += 50;
    if (call(p, (r) => r !== a) === a) toA++;
  }
  // 10 s of traffic: a is ejected most of the time and rarely admitted when it is not.
  assert.ok(toA <= 12, `a failing replica drew ${toA} of 200 calls`);
});

test("with every replica ejected, the one due back soonest is tried", () => {
  const clock = { t: 0 };
  const p = pool(2, clock);
  const [a, b] = p.replicas as [Replica, Replica];
  a.failed(a.begin(0), 0, "timeout");
  b.failed(b.begin(10), 10, "timeout");
  assert.equal(p.pick(undefined, new Set()), a);
  assert.equal(p.pick(undefined, new Set([a])), b);
  // A call placed in this panic mode that succeeds brings the replica back.
  const lease = a.begin(clock.t);
  a.succeeded(lease);
  assert.ok(a.healthy);
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
  a.failed(a.begin(0), 0, "timeout");
  p.setEndpoints(["http://r0", "http://r9"]);
  assert.equal(p.replicas[0], a);
  assert.equal(a.healthy, false);
  assert.equal(p.replicas[1]?.endpoint, "http://r9");
});
