// The chart's alert rules (charts/mull/rules/mull.rules.yaml), through the real promtool: the
// file is valid, and each alert fires on synthetic series that should trigger it and stays quiet
// on healthy ones (charts/mull/rules/tests/).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";

const rules = join(import.meta.dirname, "../charts/mull/rules");
const promtool = execFileSync(
  "bash",
  [join(import.meta.dirname, "../scripts/tools.sh"), "promtool"],
  {
    encoding: "utf8",
  },
).trim();

const run = (args: string[]) => {
  const r = spawnSync(promtool, args, { cwd: rules, encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
};

test("promtool check rules: the rules file is valid", () => {
  const groups = parse(readFileSync(join(rules, "mull.rules.yaml"), "utf8")).groups as Array<{
    rules: unknown[];
  }>;
  const count = groups.reduce((n, g) => n + g.rules.length, 0);
  const r = run(["check", "rules", "mull.rules.yaml"]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${count} rules found`));
});

test("promtool test rules: every alert has a test, and every test passes", () => {
  const tests = readdirSync(join(rules, "tests")).filter((f) => f.endsWith(".yaml"));
  assert.ok(tests.length > 0);
  const tested = new Set<string>();
  for (const f of tests) {
    const doc = parse(readFileSync(join(rules, "tests", f), "utf8"));
    for (const t of doc.tests) for (const a of t.alert_rule_test ?? []) tested.add(a.alertname);
    const r = run(["test", "rules", join("tests", f)]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  }
  const alerts = parse(readFileSync(join(rules, "mull.rules.yaml"), "utf8"))
    .groups.flatMap((g: { rules: Array<{ alert?: string }> }) => g.rules)
    .flatMap((r: { alert?: string }) => (r.alert ? [r.alert] : []));
  for (const a of alerts) assert.ok(tested.has(a), `${a} has no promtool test`);
});

test("promtool test rules fails on a wrong expectation (the test can fail)", () => {
  const r = spawnSync(promtool, ["test", "rules", "/dev/stdin"], {
    cwd: join(rules, "tests"),
    encoding: "utf8",
    input: [
      "rule_files: [../mull.rules.yaml]",
      "tests:",
      "  - interval: 1m",
      "    input_series:",
      '      - series: mull_operator_leader{namespace="m",pod="a"}',
      "        values: 1x10",
      "    alert_rule_test:",
      "      - eval_time: 8m",
      "        alertname: MullOperatorNotLeading",
      "        exp_alerts: [{exp_labels: {severity: critical}}]",
    ].join("\n"),
  });
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
});

test("every scaling alert carries the routing labels and ends in the threshold the chart replaces", () => {
  const groups = parse(readFileSync(join(rules, "mull.rules.yaml"), "utf8")).groups as Array<{
    name: string;
    rules: Array<{ alert?: string; expr: string; labels?: Record<string, string> }>;
  }>;
  const scaling = groups.find((g) => g.name === "mull-scaling");
  assert.ok(scaling && scaling.rules.length > 0);
  // A label is either a template of one of the series' labels, or a value the webhook accepts.
  const allowed: Record<string, RegExp> = {
    mull_namespace: /^\{\{ \$labels\.namespace \}\}$/,
    mull_policy: /^\{\{ \$labels\.policy \}\}$/,
    mull_bin: /^(\{\{ \$labels\.bin \}\}|all|[0-9]+)$/,
    mull_role: /^(\{\{ \$labels\.role \}\}|proposer|verifier|both)$/,
    mull_action: /^(scale_up|scale_down|budget_down|budget_up)$/,
  };
  for (const r of scaling.rules) {
    assert.ok(r.alert, "the scaling group holds alerts only");
    for (const [label, pattern] of Object.entries(allowed)) {
      assert.match(r.labels?.[label] ?? "", pattern, `${r.alert}: ${label}`);
    }
    // The chart replaces this number (prometheusRule.scaling.rules.<alert>.threshold).
    assert.match(r.expr, /> [0-9.]+$/, `${r.alert}: the expression ends in "> <threshold>"`);
  }
});
