// Real Prometheus and Alertmanager for e2e tests (Debian's packages, unpacked by
// scripts/tools.sh): each runs on a free loopback port with its config, rules and data in a
// temp directory under the e2e state directory (so the global teardown's stray check sees a
// process a test left running), is awaited on /-/ready, and is stopped by pid with its directory
// removed after the test. Alertmanager runs without clustering (no gossip port).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { stringify } from "yaml";
import { freePort, HOST, isListening } from "./cluster/ports.ts";
import {
  isRunning,
  type Started,
  startProcess,
  stopProcess,
  tailLog,
} from "./cluster/processes.ts";
import { repoRoot, stateDir } from "./cluster/state.ts";
import { waitFor } from "./cluster/wait.ts";

/** What the daemons need of a test: somewhere to register their teardown (a bench passes its own). */
export type Teardown = Pick<TestContext, "after">;

/** A tool's path from scripts/tools.sh, which installs it first if needed (cached). */
export function toolPath(name: "prometheus" | "alertmanager" | "promtool"): string {
  return execFileSync("bash", [join(repoRoot, "scripts/tools.sh"), name], {
    encoding: "utf8",
  }).trim();
}

interface Daemon {
  url: string;
  port: number;
  dir: string;
  process: Started;
  stop(): Promise<void>;
}

async function startDaemon(
  t: Teardown,
  name: "prometheus" | "alertmanager",
  files: (dir: string) => Record<string, string>,
  args: (dir: string, port: number) => string[],
): Promise<Daemon> {
  const bin = toolPath(name);
  const root = join(stateDir(), "monitoring");
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, `${name}-`));
  for (const [file, text] of Object.entries(files(dir))) writeFileSync(join(dir, file), text);
  const port = await freePort();
  const p = startProcess(name, bin, args(dir, port), join(dir, `${name}.log`));
  const url = `http://${HOST}:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcess(p);
    await waitFor(`${name} port ${port} to close`, async () =>
      (await isListening(port)) ? undefined : true,
    );
    rmSync(dir, { recursive: true, force: true });
  };
  t.after(stop);
  try {
    await waitFor(
      `${name} /-/ready`,
      async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
      {
        timeoutMs: 60_000,
        abort: () => (isRunning(p.pid, p.bin) ? undefined : `${name} exited`),
      },
    );
  } catch (err) {
    const log = tailLog(p.log);
    await stop();
    throw new Error(`${(err as Error).message}\n--- last lines of ${name}'s log ---\n${log}\n---`);
  }
  return { url, port, dir, process: p, stop };
}

export interface AlertmanagerOptions {
  /** Where the webhook receiver posts (Alertmanager's webhook_configs url). */
  webhookUrl: string;
  /** A bearer token, written to a file and sent as http_config.authorization.credentials_file. */
  bearerToken?: string;
  /** Seconds: how long the first notification of a group waits, and between updates (1 s). */
  groupWait?: number;
  groupInterval?: number;
  /** Seconds between re-sends of a still-firing group (default 3600: none in a test). */
  repeatInterval?: number;
}

export interface Alertmanager extends Daemon {
  /** The alerts Alertmanager holds (GET /api/v2/alerts). */
  alerts(): Promise<Array<{ labels: Record<string, string>; status: { state: string } }>>;
}

export function startAlertmanager(t: Teardown, o: AlertmanagerOptions): Promise<Alertmanager> {
  const seconds = (n: number) => `${n}s`;
  return startDaemon(
    t,
    "alertmanager",
    (dir) => {
      const files: Record<string, string> = {};
      if (o.bearerToken !== undefined) files.token = o.bearerToken;
      files["alertmanager.yml"] = stringify({
        route: {
          receiver: "mull",
          group_by: ["alertname", "mull_policy", "mull_namespace", "mull_bin", "mull_role"],
          group_wait: seconds(o.groupWait ?? 1),
          group_interval: seconds(o.groupInterval ?? 1),
          repeat_interval: seconds(o.repeatInterval ?? 3600),
        },
        receivers: [
          {
            name: "mull",
            webhook_configs: [
              {
                url: o.webhookUrl,
                send_resolved: true,
                ...(o.bearerToken === undefined
                  ? {}
                  : {
                      http_config: {
                        authorization: { type: "Bearer", credentials_file: join(dir, "token") },
                      },
                    }),
              },
            ],
          },
        ],
      });
      return files;
    },
    (dir, port) => [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=${HOST}:${port}`,
      // No gossip: a lone Alertmanager, and no port on every interface.
      "--cluster.listen-address=",
      "--log.level=debug",
    ],
  ).then((d) => ({
    ...d,
    alerts: async () => (await (await fetch(`${d.url}/api/v2/alerts`)).json()) as never,
  }));
}

export interface ScrapeJob {
  job: string;
  /** host:port of each target. */
  targets: string[];
  metricsPath?: string;
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  scrape: ScrapeJob[];
  /** Rule groups (a Prometheus rules file's `groups`). */
  ruleGroups?: unknown[];
  /** Alertmanager to send alerts to. */
  alertmanager?: { port: number };
  /** Seconds, for scraping, rule evaluation and alert re-sends (default 1). */
  interval?: number;
}

export interface Prometheus extends Daemon {
  /** An instant query's vector: labels and value per series. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** The active alerts (GET /api/v1/alerts): labels and state (pending, firing). */
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  /** Health of every scrape target, by job. */
  targets(): Promise<Array<{ job: string; health: string; scrapeUrl: string }>>;
}

export function startPrometheus(t: Teardown, o: PrometheusOptions): Promise<Prometheus> {
  const every = `${o.interval ?? 1}s`;
  return startDaemon(
    t,
    "prometheus",
    () => ({
      "rules.yml": stringify({ groups: o.ruleGroups ?? [] }),
      "prometheus.yml": stringify({
        global: { scrape_interval: every, scrape_timeout: every, evaluation_interval: every },
        rule_files: ["rules.yml"],
        ...(o.alertmanager
          ? {
              alerting: {
                alertmanagers: [
                  { static_configs: [{ targets: [`${HOST}:${o.alertmanager.port}`] }] },
                ],
              },
            }
          : {}),
        scrape_configs: o.scrape.map((j) => ({
          job_name: j.job,
          metrics_path: j.metricsPath ?? "/metrics",
          static_configs: [{ targets: j.targets, ...(j.labels ? { labels: j.labels } : {}) }],
        })),
      }),
    }),
    (dir, port) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${HOST}:${port}`,
      // Alerts go to Alertmanager at once and are re-sent every interval, not every minute.
      `--rules.alert.resend-delay=${every}`,
      `--rules.alert.for-grace-period=${every}`,
    ],
  ).then((d) => {
    const api = async <T>(path: string): Promise<T> => {
      const r = (await (await fetch(`${d.url}${path}`)).json()) as { status: string; data: T };
      if (r.status !== "success") throw new Error(`prometheus ${path}: ${JSON.stringify(r)}`);
      return r.data;
    };
    return {
      ...d,
      query: async (expr) =>
        (
          await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
            `/api/v1/query?query=${encodeURIComponent(expr)}`,
          )
        ).result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) })),
      alerts: async () =>
        (
          await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(
            "/api/v1/alerts",
          )
        ).alerts,
      targets: async () =>
        (
          await api<{
            activeTargets: Array<{ labels: { job: string }; health: string; scrapeUrl: string }>;
          }>("/api/v1/targets")
        ).activeTargets.map((x) => ({
          job: x.labels.job,
          health: x.health,
          scrapeUrl: x.scrapeUrl,
        })),
    };
  });
}

/** Directories of monitoring daemons still under the state directory (a leftover). */
export function monitoringLeftovers(dir = stateDir()): string | undefined {
  const root = join(dir, "monitoring");
  if (!existsSync(root)) return undefined;
  const left = readdirSync(root);
  return left.length > 0 ? `${root} still holds ${left.join(", ")}` : undefined;
}
