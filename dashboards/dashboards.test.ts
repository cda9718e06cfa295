// The chart's dashboards: generated from these builders, made of valid PromQL (promtool parses
// every query), and querying only metrics that exist: the router's and the operator's own
// registries, and the vLLM names a sim replica really serves.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { startFleet } from "../sim/fleet.ts";
import { dashboards } from "./all.ts";
import { outDir, render } from "./generate.ts";
import { exported, vllm } from "./metrics.ts";

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string; refId: string }>;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: unknown }> };
}

const built = Object.fromEntries(
  Object.keys(dashboards).map((name) => [name, JSON.parse(render(name)) as Dashboard]),
);
const queries = (d: Dashboard) =>
  d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/**
 * Metric names in a PromQL expression: what is left once strings, label matchers, ranges,
 * grouping clauses, function calls and numbers are taken out.
 */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\b[a-zA-Z_]\w*\s*\(/g, "(");
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((n) => !["and", "or", "unless", "group_left", "group_right", "bool"].includes(n));
}

test("the chart holds exactly the generated dashboards (npm run generate)", () => {
  for (const [name, d] of Object.entries(built)) {
    const file = JSON.parse(readFileSync(join(outDir, `${name}.json`), "utf8"));
    assert.deepEqual(file, d, `${name}.json is out of date: npm run generate`);
  }
  assert.deepEqual(Object.keys(built).sort(), ["efficiency", "fleet", "operator", "router"]);
  const uids = Object.values(built).map((d) => d.uid);
  assert.equal(new Set(uids).size, uids.length, "unique uids");
});

test("every dashboard has the datasource, namespace and policy variables and real panels", () => {
  for (const d of Object.values(built)) {
    assert.deepEqual(
      d.templating.list.map((v) => v.name),
      ["datasource", "namespace", "policy"],
    );
    const panels = d.panels.filter((p) => p.type === "timeseries");
    assert.ok(panels.length >= 6, `${d.title}: ${panels.length} panels`);
    for (const p of panels) assert.ok((p.targets ?? []).length > 0, `${d.title} / ${p.title}`);
  }
});

test("the dashboards cover what the issue lists", () => {
  const has = (name: string, metric: string) =>
    queries(built[name] as Dashboard).some((q) => metricsIn(q.expr).includes(metric));
  for (const m of [
    "mull_requests_total",
    "mull_request_duration_seconds_bucket",
    "mull_difficulty_bin_total",
    "mull_generations_total",
    "mull_tokens_total",
    "mull_early_stops_total",
    "mull_partial_answers_total",
    "mull_backend_errors_total",
  ]) {
    assert.ok(has("router", m), `router: ${m}`);
  }
  for (const m of [vllm.running, vllm.waiting, vllm.kvCache, vllm.generationTokens]) {
    assert.ok(has("fleet", m), `fleet: ${m}`);
  }
  for (const m of [
    "mull_operator_reconciles_total",
    "mull_operator_writes_total",
    "mull_pool_replicas",
    "mull_policy_gpus",
    "mull_operator_bin_max_level",
    "mull_operator_leader",
    "mull_alerts_total",
  ]) {
    assert.ok(has("operator", m), `operator: ${m}`);
  }
  for (const m of [
    "mull_generations_total",
    "mull_tokens_total",
    "mull_operator_bin_expected_accuracy",
  ]) {
    assert.ok(has("efficiency", m), `efficiency: ${m}`);
  }
});

test("metricsIn finds the metric names of a query and nothing else", () => {
  assert.deepEqual(
    metricsIn(
      'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="y{z}"}[5m]))) / on (p) group_left b * 2^20 or vector(0) > c:d',
    ),
    ["a_bucket", "b", "c:d"],
  );
});

test("every metric a dashboard queries is exported by Mull or by vLLM (the sim)", async () => {
  const fleet = await startFleet({ bins: 1 });
  let served: Set<string>;
  try {
    const text = await (await fetch(`${fleet.replicas[0]?.url}/metrics`)).text();
    served = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap((m) => {
        const [name, type] = [m[1] as string, m[2] as string];
        const parts = type === "histogram" ? ["_bucket", "_sum", "_count"] : [];
        return [name, ...parts.map((p) => name + p)];
      }),
    );
  } finally {
    await fleet.stop();
  }
  for (const name of Object.values(vllm)) assert.ok(served.has(name), `the sim serves ${name}`);
  const known = new Set<string>(served);
  for (const name of exported)
    for (const s of ["", "_bucket", "_sum", "_count"]) known.add(name + s);
  for (const d of Object.values(built)) {
    for (const q of queries(d)) {
      for (const m of metricsIn(q.expr)) assert.ok(known.has(m), `${d.title} / ${q.panel}: ${m}`);
    }
  }
});

test("promtool parses every query (Grafana's variables filled in)", () => {
  const promtool = execFileSync(
    "bash",
    [join(import.meta.dirname, "../scripts/tools.sh"), "promtool"],
    {
      encoding: "utf8",
    },
  ).trim();
  const fill = (expr: string) =>
    expr
      .replaceAll("$__rate_interval", "5m")
      .replaceAll("$namespace", ".*")
      .replaceAll("$policy", ".*");
  const rules = Object.values(built).flatMap((d) =>
    queries(d).map((q, i) => ({
      record: `dashboard:${d.uid.replaceAll("-", "_")}:${i}`,
      expr: fill(q.expr),
    })),
  );
  const dir = mkdtempSync(join(tmpdir(), "mull-dashboards-"));
  try {
    const file = join(dir, "queries.rules.yaml");
    writeFileSync(file, stringify({ groups: [{ name: "dashboards", rules }] }));
    const out = execFileSync(promtool, ["check", "rules", file], { encoding: "utf8" });
    assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
