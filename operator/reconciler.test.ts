import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import type { TestTimePolicy, TestTimePolicyStatus } from "../controller/policy/types.ts";
import { examplePolicy } from "../controller/testing/sample.ts";
import type { EventRecorder } from "./events.ts";
import { createLogger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { type Caches, Reconciler, type ReconcilerDeps } from "./reconciler.ts";

// A fake cluster behind the reconciler's own Caches/Writer/EventRecorder interfaces: applies land
// in the cache (as their watch events would), status patches land on the cached policy. With
// `lag`, applied objects wait in `inFlight` until deliver() hands them to the cache.
function world(policy: TestTimePolicy, lag = false) {
  const objects = new Map<string, KubernetesObject>();
  const inFlight = new Map<string, KubernetesObject>();
  const writes: string[] = [];
  const events: Array<{ type: string; reason: string; message: string }> = [];
  let current = policy;
  const key = (o: KubernetesObject) => `${o.kind}/${o.metadata?.name}`;
  const caches: Caches = {
    policy: () => current,
    owned: () => [...objects.values()],
    deployment: (_ns, name) => objects.get(`Deployment/${name}`) as V1Deployment | undefined,
    pods: () => [],
  };
  const recorder: EventRecorder = {
    async event(_p, type, reason, message) {
      events.push({ type, reason, message });
    },
  };
  const deps = (extra: Partial<ReconcilerDeps> = {}): ReconcilerDeps => ({
    caches,
    writer: {
      async apply(o) {
        writes.push(`apply ${key(o)}`);
        (lag ? inFlight : objects).set(key(o), structuredClone(o));
      },
      async delete(o) {
        writes.push(`delete ${key(o)}`);
        objects.delete(key(o));
      },
      async patchStatus(_p, status: TestTimePolicyStatus) {
        writes.push("status");
        current = { ...current, status };
      },
    },
    events: recorder,
    metrics: createMetrics(),
    log: createLogger("error", {}),
    ...extra,
  });
  return {
    deps,
    writes,
    events,
    objects,
    /** The watch events of every applied object reach the cache and the reconciler. */
    deliver: (r: Reconciler) => {
      for (const [k, o] of inFlight) {
        objects.set(k, o);
        r.observed(o);
      }
      inFlight.clear();
    },
    setSpec: (p: TestTimePolicy) => {
      current = { ...p, status: current.status };
    },
  };
}

test("a new policy: every object applied, one Created Event for all of them, one status write", async () => {
  const w = world(examplePolicy());
  await new Reconciler(w.deps()).reconcile("ns1/math");
  assert.equal(w.writes.filter((x) => x.startsWith("apply")).length, 13);
  assert.equal(w.writes.filter((x) => x === "status").length, 1);
  assert.equal(w.events.length, 1);
  assert.equal(w.events[0]?.reason, "Created");
  assert.match(w.events[0]?.message ?? "", /^created 6 Deployments, 6 Services and 1 ConfigMap: /);
});

test("a second reconcile of an unchanged world writes nothing and records no Event", async () => {
  const w = world(examplePolicy());
  const r = new Reconciler(w.deps());
  await r.reconcile("ns1/math");
  const [writes, events] = [w.writes.length, w.events.length];
  await r.reconcile("ns1/math");
  assert.equal(w.writes.length, writes);
  assert.equal(w.events.length, events);
});

test("a removed bin: its four objects deleted and one Pruned Event", async () => {
  const w = world(examplePolicy());
  const r = new Reconciler(w.deps());
  await r.reconcile("ns1/math");
  w.setSpec(
    examplePolicy((s) => {
      s.bins = s.bins.filter((b) => b.bin !== 3);
      s.difficulty.bins = 2;
    }),
  );
  w.events.length = 0;
  await r.reconcile("ns1/math");
  assert.equal(w.writes.filter((x) => x.startsWith("delete")).length, 4);
  assert.deepEqual(
    w.events.map((e) => e.reason),
    ["Pruned"],
  );
  assert.match(w.events[0]?.message ?? "", /math-b3-proposer, math-b3-verifier$/);
});

test("a status computed while the key is due again is deferred to that reconcile, up to the coalescing window", async () => {
  let clock = Date.parse("2026-12-01T00:00:00Z");
  let due = true;
  const w = world(examplePolicy());
  const r = new Reconciler(
    w.deps({ requeued: () => due, now: () => new Date(clock), statusCoalesceMs: 5000 }),
  );
  await r.reconcile("ns1/math");
  assert.equal(w.writes.filter((x) => x === "status").length, 0, "deferred: the key is due again");
  clock += 4000;
  await r.reconcile("ns1/math");
  assert.equal(w.writes.filter((x) => x === "status").length, 0, "still inside the window");
  clock += 1000;
  await r.reconcile("ns1/math");
  assert.equal(w.writes.filter((x) => x === "status").length, 1, "the window is over: written");

  const w2 = world(examplePolicy());
  const r2 = new Reconciler(w2.deps({ requeued: () => due }));
  await r2.reconcile("ns1/math");
  due = false;
  await r2.reconcile("ns1/math");
  assert.equal(w2.writes.filter((x) => x === "status").length, 1, "written once nothing is due");
});

test("the cache lags behind our applies: a reconcile before their events arrive applies nothing again and announces nothing again", async () => {
  let clock = Date.parse("2026-12-01T00:00:00Z");
  const w = world(examplePolicy(), true);
  const r = new Reconciler(w.deps({ now: () => new Date(clock) }));
  await r.reconcile("ns1/math");
  const applies = () => w.writes.filter((x) => x.startsWith("apply")).length;
  assert.equal(applies(), 13);
  await r.reconcile("ns1/math");
  assert.equal(applies(), 13, "nothing applied twice");
  assert.deepEqual(
    w.events.map((e) => e.reason),
    ["Created"],
  );

  // Once the events arrived, the cache is the truth again: an object deleted by hand comes back.
  w.deliver(r);
  const gone = w.objects.get("Deployment/math-b2-verifier") as KubernetesObject;
  w.objects.delete("Deployment/math-b2-verifier");
  r.observed(gone);
  const reapplied = () => w.writes.filter((x) => x === "apply Deployment/math-b2-verifier").length;
  await r.reconcile("ns1/math");
  assert.equal(reapplied(), 2);
  assert.equal(applies(), 14);
  assert.equal(w.events.at(-1)?.message, "created 1 Deployment: math-b2-verifier");

  // A watch event that never comes (a broken watch) does not hold the object back for long.
  await r.reconcile("ns1/math");
  assert.equal(reapplied(), 2);
  clock += 31_000;
  await r.reconcile("ns1/math");
  assert.equal(reapplied(), 3);
});
