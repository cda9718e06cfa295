// The chart's scaling alert MullBinQueueWaitHigh on real Prometheus, on loopback: Prometheus
// scrapes a router (one slot, so concurrent requests queue) and its sim fleet with the rules the
// chart renders (threshold, window and `for` lowered through alerts.rules); under load on bin 1
// the alert fires for bin 1 only, with the labels that route it to the operator as scale_up, and
// it stops firing when the load stops.
import assert from "node:assert/strict";
import { test } from "node:test";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { startStack } from "../../test/integration/harness.ts";
import { chartRuleGroups } from "../chart-rules.ts";
import { waitFor } from "../fixture.ts";
import { startPrometheus } from "../prometheus.ts";

test("MullBinQueueWaitHigh fires under load on the queueing bin, routed as scale_up, and stops with the load", async (t) => {
  const stack = await startStack({
    bins: 2,
    replicas: 1,
    speed: speedConfig(5),
    router: { metricsPort: 0, maxInFlight: 1 },
  });
  t.after(() => stack.close());
  const groups = await chartRuleGroups([
    "alerts.rules.MullBinQueueWaitHigh.threshold=0.005",
    "alerts.rules.MullBinQueueWaitHigh.window=5s",
    "alerts.rules.MullBinQueueWaitHigh.for=2s",
  ]);
  const scaling = groups.filter((g) => g.name === "mull-scaling");
  assert.ok(scaling[0]?.rules.some((r) => r.alert === "MullBinQueueWaitHigh"));
  const prom = await startPrometheus(t, {
    scrape: [
      // What the ServiceMonitor gives a router in the cluster: the namespace it runs in.
      {
        job: "mull-router",
        targets: [`127.0.0.1:${stack.router.metricsPort}`],
        labels: { namespace: "default" },
      },
      { job: "vllm", targets: stack.fleet.replicas.map((r) => new URL(r.url).host) },
    ],
    ruleGroups: scaling,
  });
  const firing = async () =>
    (await prom.alerts()).filter(
      (a) => a.labels.alertname === "MullBinQueueWaitHigh" && a.state === "firing",
    );
  await waitFor("the router scraped", async () =>
    (await prom.targets()).every((x) => x.health === "up") ? true : undefined,
  );
  assert.deepEqual(await firing(), [], "quiet before the load");

  let load = true;
  const worker = async (w: number) => {
    for (let i = 0; load && i < 10_000; i++) {
      await stack.client
        .solve(
          { policy: "math", prompt: `What is ${w} + ${i}?`, difficultyHint: 1 },
          { timeoutMs: 10_000 },
        )
        .catch(() => {});
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  t.after(async () => {
    load = false;
    await Promise.all(workers);
  });

  const [alert] = await waitFor(
    "MullBinQueueWaitHigh to fire",
    async () => {
      const a = await firing();
      return a.length > 0 ? a : undefined;
    },
    { timeoutMs: 60_000 },
  );
  assert.ok(alert);
  assert.deepEqual(
    Object.fromEntries(Object.entries(alert.labels).filter(([k]) => k.startsWith("mull_"))),
    {
      mull_namespace: "default",
      mull_policy: "math",
      mull_bin: "1",
      mull_role: "both",
      mull_action: "scale_up",
    },
  );
  assert.ok(
    (await firing()).every((a) => a.labels.bin === "1"),
    "bin 2 had no requests",
  );
  const waited = await prom.query(
    `sum by (bin) (rate(mull_bin_queue_wait_seconds_sum[5s])) / sum by (bin) (rate(mull_bin_queue_wait_seconds_count[5s]))`,
  );
  assert.ok((waited[0]?.value ?? 0) > 0.005, `mean wait ${JSON.stringify(waited)}`);

  load = false;
  await Promise.all(workers);
  await waitFor(
    "MullBinQueueWaitHigh to stop firing",
    async () =>
      (await prom.alerts()).some((a) => a.labels.alertname === "MullBinQueueWaitHigh")
        ? undefined
        : true,
    { timeoutMs: 60_000 },
  );
});
