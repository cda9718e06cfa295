// "Nothing crashes the operator on any input": the real webhook server and the real handler, over
// HTTP on loopback, fed the recorded payloads mutated at random (seeded, so a failure replays):
// values of the wrong type, tricky mull_* label values, missing keys, duplicated alerts, cut or
// corrupted bytes. Every answer must be a 200 with one result per alert or a 400 with a reason,
// the server must keep serving, and the policy's status.alerts must stay within its bounds.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { maxAlertOverrides } from "../../controller/policy/schema.ts";
import type { AlertsStatus, LastAlert, TestTimePolicy } from "../../controller/policy/types.ts";
import { examplePolicy } from "../../controller/testing/sample.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { AlertHandler } from "./handler.ts";
import { startAlertsServer } from "./server.ts";
import type { PolicyStore } from "./store.ts";

const testdata = new URL("../../controller/alerts/testdata/", import.meta.url);
const recorded = readdirSync(testdata)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({
    source: f.startsWith("grafana") ? "grafana" : "alertmanager",
    body: JSON.parse(readFileSync(new URL(f, testdata), "utf8")) as unknown,
  }));

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const labelValues = [
  "",
  " ",
  "0",
  "1",
  "3",
  " 3 ",
  "03",
  "3.5",
  "-1",
  "1e3",
  "11",
  "9007199254740993",
  "all",
  "ALL",
  "both",
  "proposer",
  "verifier",
  "scale_up",
  "scale_down",
  "budget_up",
  "budget_down",
  "Scale_Up",
  "math",
  "ns1",
  "nosuch",
  "DatasourceNoData",
  "DatasourceError",
  "é\u0000\ud800",
  "x".repeat(300),
];
const mullLabels = [
  "mull_policy",
  "mull_namespace",
  "mull_bin",
  "mull_role",
  "mull_action",
  "mull_step",
  "alertname",
];
const oddValues: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  "",
  "firing",
  "resolved",
  "4",
  "1",
  4,
  [],
  {},
  [[[[]]]],
  { a: { b: [] } },
  "x".repeat(2000),
  "2026-13-45T99:99:99Z",
  "0001-01-01T00:00:00Z",
];

// biome-ignore lint/suspicious/noExplicitAny: JSON edited freely
type Json = any;

function mutate(doc: Json, rnd: () => number): Json {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  // A fresh copy: a shared object put in two places could make the document circular.
  const odd = () => structuredClone(pick(oddValues));
  const alerts: Json[] = Array.isArray(doc.alerts) ? doc.alerts : [];
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const objects = alerts.filter((x) => typeof x === "object" && x !== null && !Array.isArray(x));
    const a = objects.length > 0 ? pick(objects) : undefined;
    switch (Math.floor(rnd() * 9)) {
      case 0: // a mull_* label gets a tricky value (the common case: aimed at the routing)
      case 1:
        if (a && typeof a.labels === "object" && a.labels) {
          a.labels[pick(mullLabels)] = pick(labelValues);
          Object.assign(a.labels, { mull_policy: "math", mull_namespace: "ns1" });
        }
        break;
      case 2: // a field of an alert gets a value of any type
        if (a)
          a[pick(["status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"])] = odd();
        break;
      case 3: // a field of an alert goes
        if (a) delete a[pick(["status", "labels", "startsAt", "endsAt", "fingerprint"])];
        break;
      case 4: // a label value of another type
        if (a && typeof a.labels === "object" && a.labels) a.labels[pick(mullLabels)] = odd();
        break;
      case 5: // top-level keys
        doc[pick(["version", "alerts", "status", "groupLabels", "receiver"])] = odd();
        break;
      case 6: // the same alert again, or a flipped status
        if (a) {
          const copy = structuredClone(a);
          if (rnd() < 0.5) copy.status = copy.status === "firing" ? "resolved" : "firing";
          alerts.push(copy);
        }
        break;
      case 7: // many alerts
        if (a)
          for (let k = 0; k < 80; k++) alerts.push({ ...structuredClone(a), fingerprint: `f${k}` });
        break;
      default: // a whole alert replaced by something else
        if (alerts.length > 0) alerts[Math.floor(rnd() * alerts.length)] = odd();
    }
  }
  return doc;
}

/** An in-memory API server for one policy: resourceVersions, and 409 on a stale write. */
function memoryStore(policy: TestTimePolicy): PolicyStore & { current: () => TestTimePolicy } {
  let cur = { ...policy, metadata: { ...policy.metadata, resourceVersion: "1" } };
  let rv = 1;
  return {
    current: () => cur,
    async get(ns, name) {
      return ns === cur.metadata.namespace && name === cur.metadata.name
        ? structuredClone(cur)
        : undefined;
    },
    async writeAlerts(p, alerts: AlertsStatus, lastAlert: LastAlert | undefined) {
      if (p.metadata.resourceVersion !== cur.metadata.resourceVersion) return false;
      cur = {
        ...cur,
        metadata: { ...cur.metadata, resourceVersion: String(++rv) },
        status: { ...cur.status, alerts, ...(lastAlert ? { lastAlert } : {}) },
      };
      return true;
    },
  };
}

test("600 mutated payloads over HTTP: every answer a 200 with a result per alert or a 400 with a reason, and status.alerts stays bounded", async (t) => {
  const policy = examplePolicy((s) => {
    s.scaling.alerts.cooldownSeconds = 0;
  });
  const store = memoryStore(policy);
  const metrics = createMetrics();
  const server = await startAlertsServer({
    host: "127.0.0.1",
    port: 0,
    auth: { token: "fuzz" },
    leader: () => true,
    sink: new AlertHandler({
      store,
      events: { event: async () => {} },
      metrics,
      log: createLogger("error", {}),
      enqueue: () => {},
    }),
    log: createLogger("error", {}),
  });
  t.after(() => server.close());
  const post = async (path: string, body: string) => {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer fuzz" },
      body,
    });
    return { code: res.status, json: JSON.parse(await res.text()) as Json };
  };

  // MULL_FUZZ_SEED replays another run.
  const seed = Number(process.env.MULL_FUZZ_SEED ?? 20261202);
  const rnd = prng(seed);
  const codes: Record<number, number> = {};
  const results: Record<string, number> = {};
  for (let i = 0; i < 600; i++) {
    const base = recorded[i % recorded.length] as { source: string; body: unknown };
    const doc = mutate(structuredClone(base.body), rnd);
    let text = JSON.stringify(doc);
    const bytes = rnd();
    if (bytes < 0.05) text = text.slice(0, Math.floor(rnd() * text.length));
    else if (bytes < 0.1) {
      const at = Math.floor(rnd() * text.length);
      text = `${text.slice(0, at)}${String.fromCharCode(Math.floor(rnd() * 0xffff))}${text.slice(at + 1)}`;
    }
    const r = await post(`/alerts/${base.source}`, text);
    codes[r.code] = (codes[r.code] ?? 0) + 1;
    const why = `seed ${seed}, case ${i}: ${r.code} ${JSON.stringify(r.json).slice(0, 300)} for ${text.slice(0, 300)}`;
    if (r.code === 400) {
      assert.equal(typeof r.json.error, "string", why);
      continue;
    }
    assert.equal(r.code, 200, why);
    assert.ok(Array.isArray(r.json.results), why);
    assert.equal(r.json.results.length, JSON.parse(text).alerts.length, why);
    for (const x of r.json.results) {
      assert.equal(typeof x.result, "string", why);
      results[x.result] = (results[x.result] ?? 0) + 1;
    }

    const alerts = store.current().status?.alerts;
    const overrides = alerts?.overrides ?? [];
    assert.ok(overrides.length <= maxAlertOverrides, why);
    const bins = new Set(policy.spec.bins.map((b) => b.bin));
    for (const o of overrides) assert.ok(bins.has(o.bin), `${why}: override on bin ${o.bin}`);
    const last = store.current().status?.lastAlert;
    if (last) assert.ok(last.message.length <= 1024, why);
  }
  t.diagnostic(
    `answers by code: ${JSON.stringify(codes)}; alerts by result: ${JSON.stringify(results)}`,
  );
  assert.ok((codes[200] ?? 0) > 100 && (codes[400] ?? 0) > 50, JSON.stringify(codes));
  // Still serving the plain recorded payload afterwards.
  const ok = await post("/alerts/alertmanager", JSON.stringify(recorded[0]?.body));
  assert.equal(ok.code, 200);
});
