// The alert webhook on the real control plane: the recorded Alertmanager and Grafana payloads
// (controller/alerts/testdata) posted straight to a real operator. The override is in
// status.alerts when the 200 arrives, the Deployment follows, a re-delivery changes nothing,
// resolved and TTL expiry remove it, an override survives an operator restart, and in external
// mode the alert is refused with an Event.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { freePort } from "../cluster/ports.ts";
import { gpuPool, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

const testdata = new URL("../../controller/alerts/testdata/", import.meta.url);

/** A recorded payload, its mull_* labels pointed at this test's policy. */
function payload(file: string, ns: string, policy: string): string {
  const doc = JSON.parse(readFileSync(new URL(file, testdata), "utf8"));
  for (const a of doc.alerts) {
    if (a.labels.mull_policy) {
      a.labels.mull_policy = policy;
      a.labels.mull_namespace = ns;
    }
  }
  return JSON.stringify(doc);
}

/** An operator serving the webhook with a bearer token; by default, waits until it leads. */
async function webhook(
  t: TestContext,
  ns: string,
  o: { identity?: string; leaseName?: string; lead?: boolean } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "mull-alerts-e2e-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "e2e-alerts-token\n");
  const port = await freePort();
  const op = await startOperator(t, {
    namespace: ns,
    ...(o.identity ? { identity: o.identity } : {}),
    ...(o.leaseName ? { leaseName: o.leaseName } : {}),
    args: [`--alerts-port=${port}`, `--alerts-token-file=${tokenFile}`],
  });
  const post = async (path: string, body: string, token = "e2e-alerts-token") => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
    });
    return { code: res.status, json: (await res.json()) as PolicyDoc };
  };
  const empty = JSON.stringify({ version: "4", alerts: [] });
  const leading = () =>
    waitFor(
      `operator ${op.identity} to lead and answer the webhook`,
      async () => ((await post("/alerts/alertmanager", empty)).code === 200 ? true : undefined),
      { timeoutMs: 60_000 },
    );
  // Only the leader records (a follower answers 503).
  if (o.lead ?? true) await leading();
  return { op, post, port, leading };
}

const replicas = async (ns: string, name: string) =>
  (await getJson(["-n", ns, "get", "deploy", name])).spec.replicas as number;

const overrides = async (ns: string, name: string) =>
  ((await getJson(["-n", ns, "get", "ttp", name])).status?.alerts?.overrides ?? []) as PolicyDoc[];

test("operator: an alert's override is recorded before the 200, scales the Deployment, and goes when resolved", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.scaling.alerts = { cooldownSeconds: 0, ttlSeconds: 3600 };
    }),
  );
  const { op, post } = await webhook(t, ns);
  await waitReady(ns, "math");
  assert.equal(await replicas(ns, "math-b3-proposer"), 1);

  const firing = payload("alertmanager-firing.json", ns, "math");
  assert.equal((await post("/alerts/alertmanager", firing, "wrong")).code, 403);
  assert.equal((await overrides(ns, "math")).length, 0, "a wrong token recorded something");

  const posted = Date.now();
  const r = await post("/alerts/alertmanager", firing);
  assert.equal(r.code, 200);
  assert.deepEqual(
    r.json.results.map((x: PolicyDoc) => [x.fingerprint, x.result]),
    [
      ["5b1b6e3a2f9c7d04", "applied"],
      ["c0ffee00d15ea5e1", "ignored"],
    ],
  );
  // Recorded before the answer: read straight after the 200.
  const recorded = await overrides(ns, "math");
  assert.deepEqual(
    recorded.map((o) => [o.key, o.bin, o.role, o.step]),
    [["5b1b6e3a2f9c7d04@2026-12-02T06:41:17.398Z", 3, "proposer", 1]],
  );
  await waitFor("math-b3-proposer to scale to 2", async () =>
    (await replicas(ns, "math-b3-proposer")) === 2 ? true : undefined,
  );
  const scaledMs = Date.now() - posted;
  t.diagnostic(`POST to Deployment replicas written: ${scaledMs} ms`);
  const policy = await waitFor("status.bins to show bin 3's proposers at 2", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "math"]);
    const b3 = p.status.bins.find((b: PolicyDoc) => b.bin === 3);
    return b3?.proposer.desiredReplicas === 2 ? p : undefined;
  });
  // MullRouterDown names no policy: math's last alert is its own.
  assert.equal(policy.status.lastAlert.result, "applied");

  // Re-delivery: duplicate, the same single override, the same replicas.
  const again = await post("/alerts/alertmanager", firing);
  assert.equal(again.code, 200);
  assert.equal(again.json.results[0].result, "duplicate");
  assert.equal((await overrides(ns, "math")).length, 1);
  assert.equal(await replicas(ns, "math-b3-proposer"), 2);

  // Grafana's recorded payload: budget_down on bin 2 moves its max level, not its replicas.
  const g = await post("/alerts/grafana", payload("grafana-firing.json", ns, "math"));
  assert.equal(g.code, 200);
  assert.equal(g.json.results[0].result, "applied");
  const capped = await waitFor("bin 2's maxLevel to drop", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "math"]);
    const b2 = p.status.bins.find((b: PolicyDoc) => b.bin === 2);
    return b2?.maxLevel === 0 ? b2 : undefined;
  });
  assert.equal(capped.proposer.desiredReplicas, 1);
  const nodata = await post("/alerts/grafana", payload("grafana-nodata.json", ns, "math"));
  assert.equal(nodata.json.results[0].result, "ignored");

  // An operator restart keeps the overrides: they live in the policy's status.
  op.child.kill("SIGTERM");
  assert.equal(await op.exited, 0);
  const { post: post2, op: op2 } = await webhook(t, ns);
  await waitReady(ns, "math");
  assert.equal((await overrides(ns, "math")).length, 2);
  assert.equal(await replicas(ns, "math-b3-proposer"), 2);

  const resolved = await post2(
    "/alerts/alertmanager",
    payload("alertmanager-resolved.json", ns, "math"),
  );
  assert.equal(resolved.code, 200);
  assert.equal(resolved.json.results[0].result, "resolved");
  assert.deepEqual(
    (await overrides(ns, "math")).map((o) => o.fingerprint),
    ["8e2a0c6f1d3b5a79"],
    "only the Grafana override is left",
  );
  await waitFor("math-b3-proposer back to 1", async () =>
    (await replicas(ns, "math-b3-proposer")) === 1 ? true : undefined,
  );
  const gr = await post2("/alerts/grafana", payload("grafana-resolved.json", ns, "math"));
  assert.equal(gr.json.results[0].result, "resolved");
  assert.equal((await overrides(ns, "math")).length, 0);

  const events = (await getJson(["-n", ns, "get", "events"])).items.filter(
    (e: PolicyDoc) => e.involvedObject.name === "math" && e.reason === "AlertApplied",
  );
  assert.equal(events.length, 2, "one AlertApplied per applied alert");
  assert.ok((await op2.metric("mull_alerts_total", { result: "resolved" })) >= 2);
});

test("operator: an override not re-sent within ttlSeconds expires and the Deployment goes back", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  await applyDoc(
    ns,
    policyDoc("short", pool, (d) => {
      d.spec.scaling.alerts = { cooldownSeconds: 0, ttlSeconds: 6 };
    }),
  );
  const { post, op } = await webhook(t, ns);
  await waitReady(ns, "short");
  const r = await post("/alerts/alertmanager", payload("alertmanager-firing.json", ns, "short"));
  assert.equal(r.json.results[0].result, "applied");
  await waitFor("short-b3-proposer to scale to 2", async () =>
    (await replicas(ns, "short-b3-proposer")) === 2 ? true : undefined,
  );
  // No re-send: the expiry timer brings the policy back and the override goes.
  await waitFor(
    "the override to expire",
    async () => ((await overrides(ns, "short")).length === 0 ? true : undefined),
    { timeoutMs: 60_000 },
  );
  await waitFor("short-b3-proposer back to 1", async () =>
    (await replicas(ns, "short-b3-proposer")) === 1 ? true : undefined,
  );
  const expired = (await getJson(["-n", ns, "get", "events"])).items.find(
    (e: PolicyDoc) => e.involvedObject.name === "short" && e.reason === "AlertExpired",
  );
  assert.ok(expired, "no AlertExpired event");
  assert.match(expired.message, /MullQueueWaitHigh .*expired/);
  assert.equal(await op.metric("mull_alerts_total", { result: "expired" }), 1);
});

test("operator: in external mode an alert is refused with a Warning Event and nothing recorded", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  await applyDoc(
    ns,
    policyDoc("ext", pool, (d) => {
      d.spec.scaling.mode = "external";
    }),
  );
  const { post } = await webhook(t, ns);
  await waitReady(ns, "ext");
  const r = await post("/alerts/alertmanager", payload("alertmanager-firing.json", ns, "ext"));
  assert.equal(r.code, 200);
  assert.equal(r.json.results[0].result, "refused_external");
  const p = await getJson(["-n", ns, "get", "ttp", "ext"]);
  assert.equal(p.status.alerts?.overrides?.length ?? 0, 0);
  assert.equal(p.status.lastAlert.result, "refused_external");
  const refused = await waitFor("the AlertRefused event", async () =>
    (await getJson(["-n", ns, "get", "events"])).items.find(
      (e: PolicyDoc) => e.involvedObject.name === "ext" && e.reason === "AlertRefused",
    ),
  );
  assert.equal(refused.type, "Warning");
  assert.match(refused.message, /refused_external/);
  const unknown = await post(
    "/alerts/alertmanager",
    payload("alertmanager-firing.json", ns, "nope"),
  );
  assert.equal(unknown.json.results[0].result, "unknown_policy");
});

test("operator: a follower answers 503; after a failover the new leader finds the override in force", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  await applyDoc(
    ns,
    policyDoc("ha", pool, (d) => {
      d.spec.scaling.alerts = { cooldownSeconds: 0, ttlSeconds: 3600 };
    }),
  );
  const leaseName = "mull-operator-alerts-e2e";
  const a = await webhook(t, ns, { identity: "alerts-a", leaseName, lead: false });
  const b = await webhook(t, ns, { identity: "alerts-b", leaseName, lead: false });
  const firing = payload("alertmanager-firing.json", ns, "ha");
  const leader = await waitFor("one replica to lead", async () => {
    for (const r of [a, b])
      if ((await r.post("/alerts/alertmanager", firing)).code === 200) return r;
    return undefined;
  });
  const follower = leader === a ? b : a;
  const refused = await follower.post("/alerts/alertmanager", firing);
  assert.equal(refused.code, 503);
  assert.match(refused.json.error, /not the leader/);
  assert.equal((await overrides(ns, "ha")).length, 1);
  await waitFor("ha-b3-proposer to scale to 2", async () =>
    (await replicas(ns, "ha-b3-proposer")) === 2 ? true : undefined,
  );

  leader.op.child.kill("SIGKILL");
  await leader.op.exited;
  await follower.leading();
  const again = await follower.post("/alerts/alertmanager", firing);
  assert.equal(again.json.results[0].result, "duplicate");
  assert.equal((await overrides(ns, "ha")).length, 1);
  await waitReady(ns, "ha");
  assert.equal(await replicas(ns, "ha-b3-proposer"), 2, "the new leader dropped the override");
});
