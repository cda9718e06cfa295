// `mull bench alerts`: how fast an alert becomes replicas, on the real control plane. Real
// Alertmanager posts a scale_up alert (injected through its API, as Prometheus would) to the
// operator's webhook, through a loopback proxy that timestamps the POST. Measured per round:
// POST -> the webhook's 200 (the override recorded in status), POST -> the Deployments'
// spec.replicas written, and POST -> their pods ready (kwok). The baseline, in the same run and
// watched the same way: `kubectl scale` of an identical Deployment, from the command to written
// and to ready. Then the alert resolves and the pools go back, ready for the next round.
import { writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type V1Deployment, Watch } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { freePort } from "../e2e/cluster/ports.ts";
import { stateDir } from "../e2e/cluster/state.ts";
import { cluster, kubectl, waitFor } from "../e2e/fixture.ts";
import { startAlertmanager, type Teardown } from "../e2e/prometheus.ts";
import {
  getJson,
  installCrd,
  policyDoc,
  startOperator,
  waitReady,
} from "../e2e/tests/operator-harness.ts";

const POLICY = "bench-alerts";
const POOLS = ["proposer", "verifier"].map((role) => `${POLICY}-b1-${role}`);
const BASELINE = "bench-alerts-baseline";

/** Teardown in reverse order, run once the bench ends. */
class Scope implements Teardown {
  private readonly fns: Array<() => unknown> = [];
  after(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async close(): Promise<void> {
    for (const fn of this.fns.reverse()) await fn();
  }
}

/** When each Deployment first showed `replicas` as spec.replicas and as ready replicas. */
class DeploymentTimes {
  private readonly seen = new Map<string, { written?: number; ready?: number }>();
  private target = new Map<string, number>();

  expect(names: string[], replicas: number): void {
    this.target = new Map(names.map((n) => [n, replicas]));
    for (const n of names) this.seen.set(n, {});
  }

  observe(d: V1Deployment, at: number): void {
    const name = d.metadata?.name ?? "";
    const want = this.target.get(name);
    const s = this.seen.get(name);
    if (want === undefined || !s) return;
    if (s.written === undefined && d.spec?.replicas === want) s.written = at;
    if (
      s.ready === undefined &&
      d.spec?.replicas === want &&
      (d.status?.readyReplicas ?? 0) === want
    )
      s.ready = at;
  }

  /** The last pool's times, once every pool got there. */
  done(): { written: number; ready: number } | undefined {
    const all = [...this.target.keys()].map((n) => this.seen.get(n));
    if (all.some((s) => s?.written === undefined || s?.ready === undefined)) return undefined;
    return {
      written: Math.max(...all.map((s) => s?.written ?? 0)),
      ready: Math.max(...all.map((s) => s?.ready ?? 0)),
    };
  }
}

/** A loopback proxy in front of the webhook that notes when Alertmanager's POSTs arrive. */
async function timingProxy(scope: Scope, upstreamPort: number) {
  const posts: Array<{ at: number; answeredAt?: number; code?: number; body: string }> = [];
  const server = createServer((req, res) => {
    const entry: (typeof posts)[number] = { at: performance.now(), body: "" };
    posts.push(entry);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      entry.body = Buffer.concat(chunks).toString("utf8");
      const up = request(
        {
          host: "127.0.0.1",
          port: upstreamPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (r) => {
          entry.answeredAt = performance.now();
          entry.code = r.statusCode;
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.writeHead(502).end());
      up.end(entry.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  scope.after(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, posts };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { rounds: { type: "string", default: "5" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(
      "usage: mull bench alerts [--rounds 5]\n" +
        "  Alertmanager -> webhook -> replicas written and ready, against kubectl scale\n" +
        "(starts the e2e control plane if it is not up: npm run cluster:up keeps it)\n",
    );
    return 0;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(`mull bench alerts: --rounds must be a positive integer\n`);
    return 2;
  }
  const scope = new Scope();
  try {
    const c = await cluster();
    await installCrd();
    const ns = `bench-alerts-${Date.now().toString(36)}`;
    await kubectl(["create", "namespace", ns]);
    scope.after(() => kubectl(["delete", "namespace", ns, "--wait=false"], { check: false }));
    await waitFor("ServiceAccount default", () =>
      kubectl(["-n", ns, "get", "serviceaccount", "default"]),
    );

    const doc = policyDoc(POLICY, undefined, (d) => {
      d.spec.difficulty = { ...d.spec.difficulty, bins: 1, thresholds: [] };
      d.spec.bins = [{ ...d.spec.bins[0], bin: 1 }];
      d.spec.bins[0].proposer = { minReplicas: 1, maxReplicas: 2 };
      d.spec.bins[0].verifier = { minReplicas: 1, maxReplicas: 2 };
      d.spec.budget.gpus = 4;
      d.spec.scaling = {
        mode: "manual",
        alerts: { enabled: true, maxStep: 1, cooldownSeconds: 1, ttlSeconds: 600 },
      };
    });
    await kubectl(["-n", ns, "apply", "-f", "-"], { input: stringify(doc) });

    const token = `bench-${Math.random().toString(16).slice(2)}`;
    const tokenFile = join(stateDir(), `${ns}-token`);
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const alertsPort = await freePort();
    await startOperator(scope, {
      namespace: ns,
      args: [`--alerts-port=${alertsPort}`, `--alerts-token-file=${tokenFile}`],
    });
    await waitReady(ns, POLICY);
    const proxy = await timingProxy(scope, alertsPort);
    const am = await startAlertmanager(scope, {
      webhookUrl: `http://127.0.0.1:${proxy.port}/alerts/alertmanager`,
      bearerToken: token,
    });

    // The baseline Deployment: the proposer pool's own spec, without its owner and labels.
    const pool = await getJson(["-n", ns, "get", "deploy", POOLS[0] as string]);
    const baseline = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: BASELINE, namespace: ns },
      spec: {
        ...pool.spec,
        replicas: 1,
        selector: { matchLabels: { app: BASELINE } },
        template: {
          ...pool.spec.template,
          metadata: { labels: { app: BASELINE } },
        },
      },
    };
    await kubectl(["-n", ns, "apply", "-f", "-"], { input: stringify(baseline) });

    const times = new DeploymentTimes();
    const watch = await new Watch(c.kubeConfig).watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      {},
      (_type, obj: V1Deployment) => times.observe(obj, performance.now()),
      () => {},
    );
    scope.after(() => watch.abort());
    const settle = (names: string[], replicas: number, what: string) => {
      times.expect(names, replicas);
      return waitFor(what, async () => {
        // The watch only reports changes: a pool already there is read once.
        for (const n of names) times.observe(await getJson(["-n", ns, "get", "deploy", n]), 0);
        return times.done();
      });
    };
    await settle([...POOLS, BASELINE], 1, "every pool at one ready replica");

    const alertPath = { recorded: [] as number[], written: [] as number[], ready: [] as number[] };
    const direct = { written: [] as number[], ready: [] as number[] };
    const amAlert = (round: number, endsAt?: Date) => ({
      labels: {
        alertname: "MullBenchScaleUp",
        round: String(round),
        mull_namespace: ns,
        mull_policy: POLICY,
        mull_bin: "1",
        mull_role: "both",
        mull_action: "scale_up",
      },
      ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
    });
    const postToAm = async (body: unknown) => {
      const r = await fetch(`${am.url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([body]),
      });
      if (!r.ok) throw new Error(`Alertmanager refused the alert: ${r.status} ${await r.text()}`);
    };

    for (let round = 0; round < rounds; round++) {
      // Alert path: Alertmanager's POST to replicas written and ready.
      times.expect(POOLS, 2);
      const sent = proxy.posts.length;
      await postToAm(amAlert(round));
      const post = await waitFor(`round ${round}: Alertmanager's POST`, () =>
        proxy.posts
          .slice(sent)
          .find(
            (p) =>
              p.code === 200 &&
              p.body.includes(`"round":"${round}"`) &&
              p.body.includes('"status":"firing"'),
          ),
      );
      const up = await waitFor(`round ${round}: the pools at 2 ready replicas`, () => times.done());
      alertPath.recorded.push((post.answeredAt ?? post.at) - post.at);
      alertPath.written.push(up.written - post.at);
      alertPath.ready.push(up.ready - post.at);
      await postToAm(amAlert(round, new Date()));
      await settle(POOLS, 1, `round ${round}: the resolve scales the pools back`);

      // Baseline: kubectl scale, watched the same way.
      times.expect([BASELINE], 2);
      const start = performance.now();
      await kubectl(["-n", ns, "scale", "deploy", BASELINE, "--replicas=2"]);
      const scaled = await waitFor(`round ${round}: the baseline at 2`, () => times.done());
      direct.written.push(scaled.written - start);
      direct.ready.push(scaled.ready - start);
      await kubectl(["-n", ns, "scale", "deploy", BASELINE, "--replicas=1"]);
      await settle([BASELINE], 1, `round ${round}: the baseline back at 1`);
      // The next round's alert is a new target step: past the policy's cooldown.
      await new Promise((r) => setTimeout(r, 1100));
    }

    const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
    const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(46)} ${v}\n`);
    line("rounds", String(rounds));
    line("alert: POST -> 200 (override in status)", ms(alertPath.recorded));
    line("alert: POST -> replicas written", ms(alertPath.written));
    line("alert: POST -> pods ready", ms(alertPath.ready));
    line("baseline kubectl scale -> replicas written", ms(direct.written));
    line("baseline kubectl scale -> pods ready", ms(direct.ready));
    line(
      "ratio written (alert / kubectl scale)",
      `${(median(alertPath.written) / median(direct.written)).toFixed(2)}x`,
    );
    line(
      "ratio ready (alert / kubectl scale)",
      `${(median(alertPath.ready) / median(direct.ready)).toFixed(2)}x`,
    );
    return 0;
  } finally {
    await scope.close();
  }
}
