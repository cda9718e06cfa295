// The alert webhook when things go wrong, on the real control plane (the main path is
// operator-alerts.test.ts): the leader's API server going away is a 503 that the sender's retry
// gets past once it is back, with the alert then recorded; Grafana's HMAC signature with a
// timestamp header, over basic auth, refuses forged and unsigned bodies; and a re-delivered alert
// leaves the Deployment's spec alone.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { gpuPool, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type OperatorProcess,
  type PolicyDoc,
  policyDoc,
  privateApiserver,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

const testdata = new URL("../../controller/alerts/testdata/", import.meta.url);

/** A recorded payload (as JSON text), its mull_* labels pointed at this test's policy. */
function payload(file: string, ns: string, policy: string): string {
  const doc = JSON.parse(readFileSync(new URL(file, testdata), "utf8"));
  for (const a of doc.alerts) {
    if (a.labels.mull_policy) Object.assign(a.labels, { mull_policy: policy, mull_namespace: ns });
  }
  return JSON.stringify(doc);
}

function secretsDir(t: TestContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mull-alerts-faults-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The webhook's port, from the operator's "serving the alert webhook" log line (--alerts-port=0). */
function alertsPort(op: OperatorProcess): Promise<number> {
  return waitFor("the alert webhook to serve", () => {
    for (const line of op.logs().split("\n")) {
      if (line.includes('"serving the alert webhook"')) {
        return (JSON.parse(line) as { alertsPort?: number }).alertsPort;
      }
    }
    return undefined;
  });
}

async function post(
  port: number,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ code: number; json: PolicyDoc }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { code: res.status, json: await res.json() };
}

const overrides = async (ns: string, name: string) =>
  ((await getJson(["-n", ns, "get", "ttp", name])).status?.alerts?.overrides ?? []) as PolicyDoc[];

test("operator: the leader answers 503 while its API server is down; the sender's retry is recorded once it is back", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  const dir = secretsDir(t, { token: "faults-token\n" });
  const args = ["--alerts-port=0", `--alerts-token-file=${join(dir, "token")}`];
  const auth = { authorization: "Bearer faults-token" };
  const apiserver = await privateApiserver(t);
  await applyDoc(ns, policyDoc("math", pool));
  // The leader talks to a kube-apiserver of its own (on the shared etcd), the standby to the
  // shared one: stopping the leader's leaves the standby able to take over, as in a real HA pair.
  const leader = await startOperator(t, { namespace: ns, kubeconfig: apiserver.kubeconfig, args });
  await waitFor("the first operator to lead", async () =>
    (await leader.metric("mull_operator_leader")) === 1 ? true : undefined,
  );
  await waitReady(ns, "math");
  const standby = await startOperator(t, { namespace: ns, args });
  const ports = [await alertsPort(leader), await alertsPort(standby)];
  const firing = payload("alertmanager-firing.json", ns, "math");

  // Killed, so that its connections are refused at once, while the leader still holds the lease
  // (it gives up only after --renew-deadline): the webhook's read of the policy fails.
  await apiserver.stop("SIGKILL");
  const down = await post(ports[0] as number, "/alerts/alertmanager", firing, auth);
  assert.equal(down.code, 503, JSON.stringify(down.json));
  assert.match(down.json.error, /API server/);
  assert.equal((await overrides(ns, "math")).length, 0);
  await apiserver.start();

  // What Alertmanager does through the Service: retry on 5xx until a replica records it.
  const started = Date.now();
  const ok = await waitFor(
    "a 200 from one of the replicas",
    async () => {
      for (const port of ports) {
        const r = await post(port, "/alerts/alertmanager", firing, auth);
        if (r.code === 200) return r;
        assert.equal(r.code, 503, JSON.stringify(r.json));
      }
      return undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  t.diagnostic(`first 200 ${Date.now() - started} ms after the API server was back`);
  assert.equal(ok.json.results[0].result, "applied", JSON.stringify(ok.json));
  assert.equal((await overrides(ns, "math")).length, 1);
  await waitFor("math-b3-proposer to scale to 2", async () =>
    (await getJson(["-n", ns, "get", "deploy", "math-b3-proposer"])).spec.replicas === 2
      ? true
      : undefined,
  );
});

test("operator: an API server that accepts connections but never answers is a 503 within the deadline, not a held request", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 1, gpusPerNode: 8 });
  const dir = secretsDir(t, { token: "frozen-token\n" });
  const auth = { authorization: "Bearer frozen-token" };
  const apiserver = await privateApiserver(t);
  await applyDoc(ns, policyDoc("math", pool));
  const op = await startOperator(t, {
    namespace: ns,
    kubeconfig: apiserver.kubeconfig,
    args: ["--alerts-port=0", `--alerts-token-file=${join(dir, "token")}`],
  });
  await waitReady(ns, "math");
  await waitFor("the operator to lead", async () =>
    (await op.metric("mull_operator_leader")) === 1 ? true : undefined,
  );
  const port = await alertsPort(op);
  const firing = payload("alertmanager-firing.json", ns, "math");

  apiserver.pause();
  const paused = Date.now();
  let frozen: { code: number; json: PolicyDoc };
  try {
    // The sender's own timeout, far above the operator's deadline: an answer must come first.
    const res = await fetch(`http://127.0.0.1:${port}/alerts/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: firing,
      signal: AbortSignal.timeout(60_000),
    });
    frozen = { code: res.status, json: await res.json() };
  } finally {
    apiserver.resume();
  }
  assert.equal(frozen.code, 503, JSON.stringify(frozen.json));
  assert.match(frozen.json.error, /did not answer within/);
  t.diagnostic(`frozen API server: 503 after ${Date.now() - paused} ms`);

  const ok = await waitFor(
    "the retry recorded",
    async () => {
      const r = await post(port, "/alerts/alertmanager", firing, auth);
      if (r.code === 200) return r;
      assert.equal(r.code, 503, JSON.stringify(r.json));
      return undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  assert.equal(ok.json.results[0].result, "applied", JSON.stringify(ok.json));
  assert.equal((await overrides(ns, "math")).length, 1);
});

test("operator: with an HMAC secret and a timestamp header, /alerts/grafana refuses forged and unsigned bodies and records signed ones; a re-delivery leaves the Deployment's spec alone", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 8 });
  const secret = "faults-hmac-secret";
  const dir = secretsDir(t, { basic: "grafana:faults-basic\n", hmac: secret });
  const tsHeader = "X-Grafana-Alerting-Signature-Timestamp";
  const op = await startOperator(t, {
    namespace: ns,
    args: [
      "--alerts-port=0",
      `--alerts-basic-auth-file=${join(dir, "basic")}`,
      `--alerts-hmac-secret-file=${join(dir, "hmac")}`,
      `--alerts-hmac-timestamp-header=${tsHeader}`,
    ],
  });
  const port = await alertsPort(op);
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.scaling.alerts = { cooldownSeconds: 0, ttlSeconds: 3600 };
    }),
  );
  await waitReady(ns, "math");
  const basic = {
    authorization: `Basic ${Buffer.from("grafana:faults-basic").toString("base64")}`,
  };
  // grafana/alerting http/hmac.go: hex(HMAC_SHA256(secret, timestamp + ":" + body)).
  const signed = (body: string, key = secret) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const sig = createHmac("sha256", key).update(`${timestamp}:${body}`).digest("hex");
    return { ...basic, "X-Grafana-Alerting-Signature": sig, [tsHeader]: timestamp };
  };
  const grafana = payload("grafana-firing.json", ns, "math");

  const noAuth = await post(port, "/alerts/grafana", grafana, {});
  assert.equal(noAuth.code, 401, JSON.stringify(noAuth.json));
  const unsigned = await post(port, "/alerts/grafana", grafana, basic);
  assert.equal(unsigned.code, 401, JSON.stringify(unsigned.json));
  const forged = await post(port, "/alerts/grafana", grafana, signed(grafana, "not-the-secret"));
  assert.equal(forged.code, 403, JSON.stringify(forged.json));
  // Signed, but not this body: the signature covers every byte.
  const tampered = await post(
    port,
    "/alerts/grafana",
    grafana.replace('"mull_step":"1"', '"mull_step":"2"'),
    signed(grafana),
  );
  assert.equal(tampered.code, 403, JSON.stringify(tampered.json));
  assert.equal((await overrides(ns, "math")).length, 0, "a refused request recorded something");

  const g = await post(port, "/alerts/grafana", grafana, signed(grafana));
  assert.equal(g.code, 200, JSON.stringify(g.json));
  assert.equal(g.json.results[0].result, "applied");
  assert.deepEqual(
    (await overrides(ns, "math")).map((o) => [o.source, o.bin, o.action, o.step]),
    [["grafana", 2, "budget_down", -1]],
  );
  // Alertmanager needs no signature, only the basic auth.
  const firing = payload("alertmanager-firing.json", ns, "math");
  const am = await post(port, "/alerts/alertmanager", firing, basic);
  assert.equal(am.json.results[0].result, "applied", JSON.stringify(am.json));
  const deployment = () => getJson(["-n", ns, "get", "deploy", "math-b3-proposer"]);
  const scaled = await waitFor("math-b3-proposer to scale to 2", async () => {
    const d = await deployment();
    return d.spec.replicas === 2 ? d : undefined;
  });

  // Re-delivered: it refreshes lastSeenAt (a status write, so a reconcile), and nothing else.
  const reconciles = await op.metric("mull_operator_reconciles_total", { result: "success" });
  const again = await post(port, "/alerts/alertmanager", firing, basic);
  assert.equal(again.json.results[0].result, "duplicate");
  await waitFor("a reconcile after the re-delivery", async () =>
    (await op.metric("mull_operator_reconciles_total", { result: "success" })) > reconciles
      ? true
      : undefined,
  );
  const after = await deployment();
  assert.equal(after.spec.replicas, 2);
  assert.equal(after.metadata.generation, scaled.metadata.generation, "a new Deployment spec");
  assert.equal((await overrides(ns, "math")).length, 2);
});
