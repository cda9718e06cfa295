// The monitoring fixture (e2e/prometheus.ts) with the real Prometheus and Alertmanager: Prometheus
// scrapes a router and its simulated vLLM fleet on loopback, a rule on the router's request rate
// fires under load and resolves when the load stops, and Alertmanager delivers both to a webhook
// with the bearer token from its credentials file, in the version-4 payload.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { startStack } from "../../test/integration/harness.ts";
import { waitFor } from "../fixture.ts";
import { startAlertmanager, startPrometheus } from "../prometheus.ts";

interface Delivery {
  authorization: string | undefined;
  body: {
    version: string;
    status: string;
    receiver: string;
    alerts: Array<{ status: string; labels: Record<string, string>; fingerprint: string }>;
  };
}

/** A webhook that records what Alertmanager posts. */
async function recorder(t: import("node:test").TestContext) {
  const deliveries: Delivery[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      deliveries.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

test("monitoring fixture: Prometheus scrapes a router and its sim fleet; a rule on the router fires under load; Alertmanager posts it with a bearer token, and the resolve", async (t) => {
  const stack = await startStack({ bins: 2, replicas: 1, router: { metricsPort: 0 } });
  t.after(() => stack.close());
  const routerMetrics = `127.0.0.1:${stack.router.metricsPort}`;
  const sims = stack.fleet.replicas.map((r) => new URL(r.url).host);
  const hook = await recorder(t);
  const token = `token-${Math.random().toString(16).slice(2)}`;
  const am = await startAlertmanager(t, { webhookUrl: hook.url, bearerToken: token });
  const prom = await startPrometheus(t, {
    scrape: [
      { job: "mull-router", targets: [routerMetrics] },
      { job: "vllm", targets: sims },
    ],
    alertmanager: { port: am.port },
    ruleGroups: [
      {
        name: "mull-load",
        rules: [
          {
            alert: "MullBinBusy",
            expr: `sum by (policy) (rate(mull_requests_total{job="mull-router"}[5s])) > 1`,
            for: "1s",
            labels: {
              mull_policy: "math",
              mull_namespace: "default",
              mull_bin: "1",
              mull_role: "both",
              mull_action: "scale_up",
            },
          },
        ],
      },
    ],
  });

  const up = await waitFor("every target up", async () => {
    const targets = await prom.targets();
    return targets.length === 1 + sims.length && targets.every((x) => x.health === "up")
      ? targets
      : undefined;
  });
  assert.deepEqual(new Set(up.map((x) => x.job)), new Set(["mull-router", "vllm"]));

  // Load: a few workers, bounded in time by the test's own stop.
  let load = true;
  let served = 0;
  const worker = async (w: number) => {
    for (let i = 0; load && i < 10_000; i++) {
      await stack.client
        .solve(
          { policy: "math", prompt: `What is ${w} + ${i}?`, difficultyHint: 1 },
          { timeoutMs: 10_000 },
        )
        .then(() => served++)
        .catch(() => {});
    }
  };
  const workers = [0, 1, 2].map(worker);
  t.after(async () => {
    load = false;
    await Promise.all(workers);
  });

  const firing = await waitFor(
    "Alertmanager to post the firing alert",
    () => hook.deliveries.find((d) => d.body.status === "firing"),
    { timeoutMs: 60_000 },
  );
  assert.equal(firing.authorization, `Bearer ${token}`);
  assert.equal(firing.body.version, "4");
  assert.equal(firing.body.receiver, "mull");
  const alert = firing.body.alerts[0];
  assert.ok(alert);
  assert.equal(alert.labels.alertname, "MullBinBusy");
  assert.equal(alert.labels.mull_action, "scale_up");
  assert.equal(alert.labels.mull_bin, "1");
  assert.ok(served > 0);
  const rate = (await prom.query(`sum(rate(mull_requests_total[5s]))`))[0]?.value ?? 0;
  assert.ok(rate > 0, `router request rate ${rate}`);
  assert.ok((await prom.query(`count(up{job="vllm"} == 1)`))[0]?.value === sims.length);
  assert.ok((await am.alerts()).some((a) => a.labels.alertname === "MullBinBusy"));

  load = false;
  await Promise.all(workers);
  const resolved = await waitFor(
    "Alertmanager to post the resolve",
    () =>
      hook.deliveries.find(
        (d) => d.body.status === "resolved" && d.body.alerts[0]?.fingerprint === alert.fingerprint,
      ),
    { timeoutMs: 60_000 },
  );
  assert.equal(resolved.authorization, `Bearer ${token}`);
  assert.equal(resolved.body.alerts[0]?.status, "resolved");
});
