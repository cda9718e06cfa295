// Issue 10, end to end on real parts: Prometheus scrapes a router and its simulated vLLM fleet on
// loopback, the chart's own MullBinQueueWaitHigh rule (rendered by helm, its window lowered for a test) fires
// while bin 1 queues, Alertmanager posts it with a bearer token to the operator's webhook, and
// the bin's Deployments get one more replica. Alertmanager's re-sends change nothing; an
// operator restart keeps the override in force; when the load stops the alert resolves and the
// replicas go back. A wrong token is refused, and a recorded Grafana payload is applied too.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { startStack } from "../../test/integration/harness.ts";
import { chartRuleGroups } from "../chart-rules.ts";
import { freePort } from "../cluster/ports.ts";
import { repoRoot, stateDir } from "../cluster/state.ts";
import { gpuPool, kubectl, namespace, waitFor } from "../fixture.ts";
import { startAlertmanager, startPrometheus } from "../prometheus.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
  waitReady,
} from "./operator-harness.ts";

const POLICY = "math"; // the stack's policy name: its router metrics carry policy="math"

const replicas = async (ns: string, bin: number) =>
  Promise.all(
    ["proposer", "verifier"].map(
      async (role) =>
        (await getJson(["-n", ns, "get", "deploy", `${POLICY}-b${bin}-${role}`])).spec.replicas,
    ),
  );

const status = async (ns: string): Promise<PolicyDoc> =>
  (await getJson(["-n", ns, "get", "ttp", POLICY])).status;

test("alerts: Prometheus and Alertmanager scale a bin through the operator's webhook, and the resolve scales it back", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 1, gpusPerNode: 8 });
  await applyDoc(
    ns,
    policyDoc(POLICY, pool, (d) => {
      d.spec.scaling = {
        mode: "manual",
        alerts: { enabled: true, maxStep: 2, cooldownSeconds: 1, ttlSeconds: 600 },
      };
      d.spec.budget.gpus = 8;
      for (const b of d.spec.bins) {
        b.proposer = { minReplicas: 1, maxReplicas: 3 };
        b.verifier = { minReplicas: 1, maxReplicas: 3 };
      }
    }),
  );
  const token = `token-${Math.random().toString(16).slice(2)}`;
  const tokenFile = join(stateDir(), `alerts-token-${ns}`);
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const alertsPort = await freePort();
  const operatorArgs = {
    namespace: ns,
    args: [`--alerts-port=${alertsPort}`, `--alerts-token-file=${tokenFile}`],
  };
  let operator = await startOperator(t, operatorArgs);
  await waitReady(ns, POLICY);
  assert.deepEqual(await replicas(ns, 1), [1, 1]);
  const webhook = `http://127.0.0.1:${alertsPort}/alerts`;

  // A wrong token: refused, and nothing recorded.
  const wrong = await fetch(`${webhook}/alertmanager`, {
    method: "POST",
    headers: { authorization: "Bearer not-the-token", "content-type": "application/json" },
    body: readFileSync(join(repoRoot, "controller/alerts/testdata/alertmanager-firing.json")),
  });
  assert.ok(wrong.status === 401 || wrong.status === 403, `wrong token: ${wrong.status}`);
  assert.equal((await status(ns)).alerts?.overrides?.length ?? 0, 0);

  const stack = await startStack({
    bins: 2,
    replicas: 1,
    speed: speedConfig(5),
    // One request at a time: the others wait for the slot, and that wait is bin 1's.
    router: { metricsPort: 0, maxInFlight: 1 },
  });
  t.after(() => stack.close());
  const am = await startAlertmanager(t, {
    webhookUrl: `${webhook}/alertmanager`,
    bearerToken: token,
    repeatInterval: 2,
  });
  const prom = await startPrometheus(t, {
    scrape: [
      {
        job: "mull-router",
        targets: [`127.0.0.1:${stack.router.metricsPort}`],
        // What Kubernetes service discovery would add: the router's namespace is the policy's.
        labels: { namespace: ns },
      },
    ],
    alertmanager: { port: am.port },
    // The chart's scaling rules as helm renders them, thresholds lowered for a test.
    ruleGroups: (
      await chartRuleGroups([
        "alerts.rules.MullBinQueueWaitHigh.threshold=0.005",
        "alerts.rules.MullBinQueueWaitHigh.window=5s",
        "alerts.rules.MullBinQueueWaitHigh.for=2s",
      ])
    ).filter((g) => g.name === "mull-scaling"),
  });

  let load = true;
  const worker = async (w: number) => {
    for (let i = 0; load && i < 100_000; i++) {
      await stack.client
        .solve(
          { policy: POLICY, prompt: `What is ${w} + ${i}?`, difficultyHint: 1 },
          { timeoutMs: 20_000 },
        )
        .catch(() => {});
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  const stopLoad = async () => {
    load = false;
    await Promise.all(workers);
  };
  t.after(stopLoad);

  await waitFor(
    "the rule to fire in Prometheus",
    async () =>
      (await prom.alerts()).some(
        (a) => a.labels.alertname === "MullBinQueueWaitHigh" && a.state === "firing",
      )
        ? true
        : undefined,
    { timeoutMs: 90_000 },
  );
  await waitFor(
    "bin 1 scaled up by the alert",
    async () => ((await replicas(ns, 1)).every((r) => r === 2) ? true : undefined),
    { timeoutMs: 90_000 },
  );
  assert.deepEqual(await replicas(ns, 2), [1, 1], "bin 2 is untouched");
  const firing = await status(ns);
  assert.equal(firing.alerts.overrides.length, 2, "one override per pool of bin 1");
  assert.ok(
    firing.alerts.overrides.every(
      (o: PolicyDoc) => o.alertname === "MullBinQueueWaitHigh" && o.bin === 1,
    ),
  );
  assert.equal(firing.lastAlert.source, "alertmanager");

  // Alertmanager re-sends the firing alert every repeat interval: the same fingerprint and
  // startsAt, so nothing moves.
  const duplicates = () => operator.metric("mull_alerts_total", { result: "duplicate" });
  await waitFor("a re-delivery", async () => ((await duplicates()) > 0 ? true : undefined), {
    timeoutMs: 60_000,
  });
  assert.deepEqual(await replicas(ns, 1), [2, 2], "a re-delivery changes nothing");

  // The override lives in status: a new operator process keeps it in force.
  operator.child.kill("SIGKILL");
  await operator.exited;
  operator = await startOperator(t, operatorArgs);
  await waitReady(ns, POLICY);
  assert.deepEqual(await replicas(ns, 1), [2, 2], "the override survives a restart");

  // The load stops: the rule resolves, Alertmanager posts the resolve, the override goes.
  await stopLoad();
  await waitFor(
    "bin 1 back to minReplicas",
    async () => ((await replicas(ns, 1)).every((r) => r === 1) ? true : undefined),
    { timeoutMs: 120_000 },
  );
  const resolved = await status(ns);
  assert.equal(resolved.alerts?.overrides?.length ?? 0, 0);
  assert.equal(resolved.lastAlert.result, "resolved");

  // Grafana's contact point: a recorded firing payload, routed to bin 2's proposer pool.
  const grafana = JSON.parse(
    readFileSync(join(repoRoot, "controller/alerts/testdata/grafana-firing.json"), "utf8"),
  );
  for (const a of grafana.alerts) {
    Object.assign(a.labels, {
      mull_namespace: ns,
      mull_policy: POLICY,
      mull_bin: "2",
      mull_role: "proposer",
      mull_action: "scale_up",
    });
  }
  const posted = await fetch(`${webhook}/grafana`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(grafana),
  });
  assert.equal(posted.status, 200, await posted.clone().text());
  await waitFor("bin 2's proposer scaled by the Grafana alert", async () =>
    (await replicas(ns, 2))[0] === 2 ? true : undefined,
  );
  assert.equal((await replicas(ns, 2))[1], 1, "only the proposer pool moves");
  const events = await kubectl(["-n", ns, "get", "events", "-o", "json"]);
  const reasons = JSON.parse(events.stdout).items.map((e: { reason: string }) => e.reason);
  assert.ok(
    reasons.some((r: string) => /alert/i.test(r)),
    `an Event for the applied alerts: ${reasons.join(", ")}`,
  );
});
