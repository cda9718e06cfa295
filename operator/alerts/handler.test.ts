// The webhook's handler and the expiry pass against a fake of our own PolicyStore (an in-memory
// API server with resourceVersions and 409s): what is written before the answer, the retries on
// conflict, unknown policies, lastAlert of settled alerts, Events, metrics and reconciles.
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import type { IncomingAlert } from "../../controller/alerts/payload.ts";
import type {
  AlertsStatus,
  LastAlert,
  TestTimePolicy,
  TestTimePolicySpec,
} from "../../controller/policy/types.ts";
import { examplePolicy } from "../../controller/testing/sample.ts";
import type { EventRecorder } from "../events.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { AlertExpiry } from "./expiry.ts";
import { AlertHandler } from "./handler.ts";
import { AlertsUnavailable } from "./server.ts";
import { alertsPatch, kubePolicyStore, type PolicyStore } from "./store.ts";

const t0 = new Date("2026-12-02T07:00:00Z");

class FakeStore implements PolicyStore {
  policies = new Map<string, TestTimePolicy>();
  rv = 1;
  /** Writes to refuse with a conflict (another writer got there first) before accepting. */
  conflicts = 0;
  down = false;
  writes: Array<Record<string, unknown>> = [];
  put(p: TestTimePolicy): void {
    this.policies.set(`${p.metadata.namespace}/${p.metadata.name}`, {
      ...p,
      metadata: { ...p.metadata, resourceVersion: String(this.rv++) },
    });
  }
  async get(ns: string, name: string) {
    if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
    const p = this.policies.get(`${ns}/${name}`);
    return p ? structuredClone(p) : undefined;
  }
  async writeAlerts(p: TestTimePolicy, alerts: AlertsStatus, lastAlert: LastAlert | undefined) {
    if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    const cur = this.policies.get(key);
    if (!cur) return false;
    if (this.conflicts > 0) {
      this.conflicts--;
      this.put(cur); // someone else wrote: a new resourceVersion
      return false;
    }
    if (cur.metadata.resourceVersion !== p.metadata.resourceVersion) return false;
    this.writes.push(alertsPatch(p, alerts, lastAlert));
    this.put({ ...cur, status: { ...cur.status, alerts, ...(lastAlert ? { lastAlert } : {}) } });
    return true;
  }
}

function setup(edit: (s: TestTimePolicySpec) => void = () => {}) {
  const store = new FakeStore();
  store.put(examplePolicy(edit));
  const events: string[] = [];
  const recorder: EventRecorder = {
    async event(_p, type, reason, message) {
      events.push(`${type} ${reason} ${message}`);
    },
  };
  const enqueued: string[] = [];
  const metrics = createMetrics();
  let now = t0;
  const handler = new AlertHandler({
    store,
    events: recorder,
    metrics,
    log: createLogger("error", {}),
    enqueue: (k) => enqueued.push(k),
    now: () => now,
  });
  const count = async (labels: Record<string, string>) => {
    const m = await metrics.alerts.get();
    return m.values
      .filter((v) =>
        Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
      )
      .reduce((s, v) => s + v.value, 0);
  };
  return {
    store,
    events,
    enqueued,
    handler,
    metrics,
    recorder,
    count,
    policy: () => store.policies.get("ns1/math") as TestTimePolicy,
    setNow: (d: Date) => {
      now = d;
    },
  };
}

let serial = 0;
function alert(
  labels: Record<string, string>,
  status: "firing" | "resolved" = "firing",
): IncomingAlert {
  return {
    status,
    labels: { alertname: "QueueWait", mull_policy: "math", mull_namespace: "ns1", ...labels },
    annotations: {},
    startsAt: "2026-12-02T06:59:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    fingerprint: `fp${++serial}`,
  };
}
const up3 = () => alert({ mull_bin: "3", mull_role: "proposer", mull_action: "scale_up" });

test("a firing alert is in status.alerts when deliver returns, with an Event, a count and a reconcile", async () => {
  const s = setup();
  const a = up3();
  const replies = await s.handler.deliver("alertmanager", [a]);
  assert.deepEqual(
    replies.map((r) => [r.fingerprint, r.policy, r.result]),
    [[a.fingerprint, "ns1/math", "applied"]],
  );
  const overrides = s.policy().status?.alerts?.overrides ?? [];
  assert.equal(overrides.length, 1);
  assert.equal(overrides[0]?.key, `${a.fingerprint}@${a.startsAt}`);
  assert.equal(s.policy().status?.lastAlert?.result, "applied");
  assert.deepEqual(s.enqueued, ["ns1/math"]);
  assert.equal(s.events.length, 1);
  assert.match(
    s.events[0] ?? "",
    /^Normal AlertApplied alertmanager alert QueueWait \(fp\d+\): applied/,
  );
  assert.equal(await s.count({ source: "alertmanager", action: "scale_up", result: "applied" }), 1);
  // The write carried the resourceVersion it read.
  assert.deepEqual(s.store.writes[0]?.metadata, { resourceVersion: "1" });

  // Re-delivery: duplicate, no override added, no reconcile, no Event.
  const again = await s.handler.deliver("alertmanager", [a]);
  assert.equal(again[0]?.result, "duplicate");
  assert.equal(s.policy().status?.alerts?.overrides?.length, 1);
  assert.equal(s.events.length, 1);

  const gone = await s.handler.deliver("alertmanager", [{ ...a, status: "resolved" }]);
  assert.equal(gone[0]?.result, "resolved");
  assert.equal(s.policy().status?.alerts?.overrides?.length, 0);
  // The duplicate (at the same instant) changed no override: only the resolve reconciles again.
  assert.deepEqual(s.enqueued, ["ns1/math", "ns1/math"]);
});

test("a conflicting write is retried on a fresh read; past the limit it is a 503", async () => {
  const s = setup();
  s.store.conflicts = 2;
  const r = await s.handler.deliver("alertmanager", [up3()]);
  assert.equal(r[0]?.result, "applied");
  assert.equal(s.store.writes.length, 1);

  s.store.conflicts = 99;
  await assert.rejects(s.handler.deliver("alertmanager", [up3()]), (err: unknown) => {
    assert.ok(err instanceof AlertsUnavailable);
    assert.match(err.message, /kept changing/);
    return true;
  });
});

test("an unreachable API server is AlertsUnavailable (503), with nothing counted", async () => {
  const s = setup();
  s.store.down = true;
  await assert.rejects(s.handler.deliver("alertmanager", [up3()]), (err: unknown) => {
    assert.ok(err instanceof AlertsUnavailable);
    assert.match(err.message, /ECONNREFUSED/);
    return true;
  });
  assert.equal(await s.count({}), 0);
});

test("unknown policies, ignored and invalid alerts get their result; one naming a policy is its lastAlert", async () => {
  const s = setup();
  const noAction = alert({ mull_bin: "1" });
  const badBin = alert({ mull_bin: "x", mull_action: "scale_up" });
  const other = alert({ mull_policy: "nope", mull_bin: "1", mull_action: "scale_up" });
  const outOfRange = alert({ mull_bin: "9", mull_action: "scale_up" });
  const anonymous: IncomingAlert = { ...alert({}), labels: { alertname: "Watchdog" } };
  const r = await s.handler.deliver("grafana", [outOfRange, other, anonymous, noAction, badBin]);
  assert.deepEqual(
    r.map((x) => x.result),
    ["unknown_bin", "unknown_policy", "ignored", "ignored", "invalid"],
  );
  assert.equal(r[1]?.policy, "ns1/nope");
  assert.equal(r[2]?.policy, undefined);
  // The last alert naming math was the invalid one.
  assert.equal(s.policy().status?.lastAlert?.result, "invalid");
  assert.equal(await s.count({ source: "grafana", result: "ignored", action: "none" }), 2);
  assert.equal(await s.count({ source: "grafana", result: "invalid", action: "scale_up" }), 1);
  assert.equal(await s.count({ source: "grafana", result: "unknown_policy" }), 1);
  assert.equal(await s.count({ source: "grafana", result: "unknown_bin" }), 1);
});

test("an operator confined to a namespace answers unknown_policy for others without reading them", async () => {
  const s = setup();
  const confined = new AlertHandler({
    store: s.store,
    events: s.recorder,
    metrics: s.metrics,
    log: createLogger("error", {}),
    enqueue: () => {},
    namespace: "other",
  });
  s.store.down = true;
  const r = await confined.deliver("alertmanager", [up3()]);
  assert.equal(r[0]?.result, "unknown_policy");
  assert.match(r[0]?.message ?? "", /outside this operator's scope/);
});

test("in external mode an alert is refused with a Warning Event and nothing recorded", async () => {
  const s = setup((spec) => {
    spec.scaling.mode = "external";
  });
  const r = await s.handler.deliver("alertmanager", [up3()]);
  assert.equal(r[0]?.result, "refused_external");
  assert.equal(s.policy().status?.alerts?.overrides?.length ?? 0, 0);
  assert.equal(s.policy().status?.lastAlert?.result, "refused_external");
  assert.match(s.events[0] ?? "", /^Warning AlertRefused .*refused_external/);
  assert.deepEqual(s.enqueued, []);
});

test("the expiry pass writes the removal of an override past its TTL and times the next one", async () => {
  const s = setup((spec) => {
    spec.scaling.alerts.ttlSeconds = 600;
  });
  const requeued: string[] = [];
  let now = t0;
  const expiry = new AlertExpiry({
    store: s.store,
    events: s.recorder,
    metrics: s.metrics,
    log: createLogger("error", {}),
    requeue: (k) => requeued.push(k),
    now: () => now,
  });
  // Nothing in force: nothing read, nothing written.
  s.store.down = true;
  assert.equal(await expiry.pass(s.policy()), s.policy());
  s.store.down = false;

  await s.handler.deliver("alertmanager", [up3()]);
  const writes = s.store.writes.length;
  // Within the TTL (and the cooldown): no read, no write, just a timer.
  now = new Date(t0.getTime() + 200_000);
  s.store.down = true;
  const same = await expiry.pass(s.policy());
  assert.equal(same.status?.alerts?.overrides?.length, 1);
  s.store.down = false;

  now = new Date(t0.getTime() + 601_000);
  s.store.conflicts = 1;
  const after = await expiry.pass(s.policy());
  assert.equal(after.status?.alerts?.overrides?.length, 0);
  assert.equal(s.policy().status?.alerts?.overrides?.length, 0);
  assert.equal(s.store.writes.length, writes + 1);
  // The expiry write leaves lastAlert alone.
  const status = (s.store.writes.at(-1)?.status ?? {}) as Record<string, unknown>;
  assert.ok(status.alerts);
  assert.equal("lastAlert" in status, false);
  assert.match(
    s.events.at(-1) ?? "",
    /^Normal AlertExpired alertmanager alert QueueWait .*expired/,
  );
  assert.equal(await s.count({ source: "alertmanager", action: "scale_up", result: "expired" }), 1);
  expiry.stop();
});

test("the expiry pass drops every override once the policy turns external", async () => {
  const s = setup();
  await s.handler.deliver("alertmanager", [up3()]);
  const p = s.policy();
  s.store.put({ ...p, spec: { ...p.spec, scaling: { ...p.spec.scaling, mode: "external" } } });
  const expiry = new AlertExpiry({
    store: s.store,
    events: s.recorder,
    metrics: s.metrics,
    log: createLogger("error", {}),
    requeue: () => {},
    now: () => t0,
  });
  const out = await expiry.pass(s.policy());
  assert.equal(out.status?.alerts?.overrides?.length, 0);
  assert.equal(s.policy().status?.alerts?.overrides?.length, 0);
  assert.match(s.events.at(-1) ?? "", /^Warning AlertRefused .*refused_external: dropped/);
  expiry.stop();
});

test("the status patch nulls the lastAlert keys the new one lacks (a merge patch would keep them)", () => {
  const p = examplePolicy();
  p.metadata.resourceVersion = "7";
  const patch = alertsPatch(
    p,
    { overrides: [], steps: [] },
    {
      time: t0.toISOString(),
      source: "grafana",
      alertname: "x",
      result: "ignored",
      message: "no mull_action",
    },
  );
  assert.deepEqual(patch, {
    metadata: { resourceVersion: "7" },
    status: {
      alerts: { overrides: [], steps: [] },
      lastAlert: {
        time: t0.toISOString(),
        source: "grafana",
        alertname: "x",
        action: null,
        bin: null,
        role: null,
        result: "ignored",
        message: "no mull_action",
      },
    },
  });
});

test("with the real client and nothing listening at the API server's address, deliver is AlertsUnavailable", async () => {
  // A port that was free a moment ago: connecting to it is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const metrics = createMetrics();
  const handler = new AlertHandler({
    store: kubePolicyStore(kc, metrics),
    events: { event: async () => {} },
    metrics,
    log: createLogger("error", {}),
    enqueue: () => {},
  });
  await assert.rejects(handler.deliver("alertmanager", [up3()]), (err: unknown) => {
    assert.ok(err instanceof AlertsUnavailable, String(err));
    assert.match(err.message, /cannot read policy ns1\/math from the API server/);
    return true;
  });
});

test("with the real client and an API server that accepts the connection but never answers, deliver is AlertsUnavailable at the deadline", async () => {
  // A frozen or partitioned API server: the TCP connection opens, no byte comes back.
  const held = new Set<Socket>();
  const hung = createServer((socket) => {
    held.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => hung.listen(0, "127.0.0.1", () => r()));
  const port = (hung.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const metrics = createMetrics();
  const handler = new AlertHandler({
    store: kubePolicyStore(kc, metrics, 200),
    events: { event: async () => {} },
    metrics,
    log: createLogger("error", {}),
    enqueue: () => {},
  });
  try {
    await assert.rejects(handler.deliver("alertmanager", [up3()]), (err: unknown) => {
      assert.ok(err instanceof AlertsUnavailable, String(err));
      assert.match(err.message, /ns1\/math.*did not answer within 200 ms/);
      return true;
    });
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => hung.close(() => r()));
  }
});
