// The chart's alert webhook wiring (alerts.*): off by default; on, the credentials Secret (or an
// existing one) mounted into the operator pods and passed as the --alerts-* flags, the container
// port, a Service selecting every operator replica, the NetworkPolicy ingress, the scaling group
// of the PrometheusRule after the values' overrides (still valid for the real promtool), and
// Grafana's alert-rule and contact-point provisioning as sidecar ConfigMaps. Everything rendered
// passes a server-side dry run on the real API server, and an install gets every operator replica
// as a ready endpoint of the alerts Service; the schema refuses bad values.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import { repoRoot as repo } from "../cluster/state.ts";
import { helm, kubectl, monitoringCrds, namespace, waitFor } from "../fixture.ts";

const chart = join(repo, "charts/mull");
// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, inspected freely
type Doc = any;

async function render(ns: string, sets: string[]): Promise<Doc[]> {
  const args = ["template", "mull", chart, "--namespace", ns];
  for (const s of sets) args.push("--set", s);
  return parseAllDocuments((await helm(args)).stdout)
    .map((d) => d.toJS())
    .filter((d) => d && typeof d === "object");
}

const find = (ms: Doc[], kind: string, name: string): Doc => {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(m, `${kind}/${name} in ${ms.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return m;
};
const operator = (ms: Doc[]) => find(ms, "Deployment", "mull-operator").spec.template.spec;
const alertArgs = (ms: Doc[]): string[] =>
  operator(ms).containers[0].args.filter((a: string) => a.startsWith("--alerts-"));

/** `kubectl apply --dry-run=server`: admission and the schemas see it, nothing persists. */
async function dryRun(ns: string, ms: Doc[]): Promise<void> {
  const r = await kubectl(["apply", "--dry-run=server", "-n", ns, "-f", "-"], {
    input: ms.map((m) => stringify(m)).join("---\n"),
  });
  assert.equal(r.stdout.trim().split("\n").length, ms.length, r.stdout);
  assert.doesNotMatch(r.stderr, /PodSecurity|[Ww]arning/, r.stderr);
}

const scalingAlerts = (): string[] =>
  parse(readFileSync(join(chart, "rules/mull.rules.yaml"), "utf8"))
    .groups.find((g: Doc) => g.name === "mull-scaling")
    .rules.map((r: Doc) => r.alert);

test("chart: the alert webhook is off by default; on, its Secret, mounts, flags, port, Service and ingress", async (t) => {
  const ns = await namespace(t);
  await helm([
    "lint",
    "--strict",
    chart,
    "--set",
    "alerts.enabled=true,alerts.auth.token=t,alerts.grafana.enabled=true,prometheusRule.enabled=true,networkPolicy.enabled=true",
  ]);
  const off = await render(ns, [
    "prometheusRule.enabled=true",
    "networkPolicy.enabled=true",
    "alerts.grafana.enabled=true",
  ]);
  assert.deepEqual(alertArgs(off), []);
  assert.ok(!operator(off).containers[0].ports.some((p: Doc) => p.name === "alerts"));
  assert.ok(!operator(off).volumes.some((v: Doc) => v.name.startsWith("alerts")));
  assert.ok(!off.some((d) => d.kind === "Secret" || d.metadata.name === "mull-operator-alerts"));
  assert.ok(!off.some((d) => d.kind === "ConfigMap" && d.metadata.name.includes("grafana")));
  const offRule = find(off, "PrometheusRule", "mull");
  assert.ok(!offRule.spec.groups.some((g: Doc) => g.name === "mull-scaling"));
  assert.equal(find(off, "NetworkPolicy", "mull-operator").spec.ingress.length, 0);

  const on = await render(ns, [
    "alerts.enabled=true",
    "alerts.port=9555",
    "alerts.service.port=443",
    "alerts.auth.token=s3cret",
    "alerts.auth.basicAuth=am:pa55",
    "alerts.auth.hmacSecret=hm4c",
    "alerts.auth.hmacTimestampHeader=X-Grafana-Alerting-Timestamp",
    "alerts.tls.secretName=mull-alerts-tls",
    "alerts.labels.team=ml",
    "networkPolicy.enabled=true",
  ]);
  assert.deepEqual(alertArgs(on), [
    "--alerts-port=9555",
    "--alerts-token-file=/etc/mull-alerts/token",
    "--alerts-basic-auth-file=/etc/mull-alerts/basic-auth",
    "--alerts-hmac-secret-file=/etc/mull-alerts/hmac-secret",
    "--alerts-hmac-timestamp-header=X-Grafana-Alerting-Timestamp",
    "--alerts-tls-cert=/etc/mull-alerts-tls/tls.crt",
    "--alerts-tls-key=/etc/mull-alerts-tls/tls.key",
  ]);
  const pod = operator(on);
  const container = pod.containers[0];
  assert.ok(container.args.includes("--bind-address=0.0.0.0"), "the Service reaches the pod");
  assert.deepEqual(
    container.ports.find((p: Doc) => p.name === "alerts"),
    { name: "alerts", containerPort: 9555, protocol: "TCP" },
  );
  // Directories, not subPath: a rotated Secret reaches the running pods.
  const mounts = container.volumeMounts.filter((m: Doc) => m.name.startsWith("alerts"));
  assert.deepEqual(mounts, [
    { name: "alerts-auth", mountPath: "/etc/mull-alerts", readOnly: true },
    { name: "alerts-tls", mountPath: "/etc/mull-alerts-tls", readOnly: true },
  ]);
  const volumes = Object.fromEntries(pod.volumes.map((v: Doc) => [v.name, v.secret]));
  assert.deepEqual(volumes["alerts-auth"], {
    secretName: "mull-alerts",
    items: ["token", "basic-auth", "hmac-secret"].map((k) => ({ key: k, path: k })),
  });
  assert.equal(volumes["alerts-tls"].secretName, "mull-alerts-tls");
  const secret = find(on, "Secret", "mull-alerts");
  assert.deepEqual(secret.stringData, {
    token: "s3cret",
    "basic-auth": "am:pa55",
    "hmac-secret": "hm4c",
  });
  assert.equal(secret.metadata.labels.team, "ml");
  // Every replica, leader or not, is an endpoint: the Service selects exactly the pods' selector.
  const service = find(on, "Service", "mull-operator-alerts");
  const deployment = find(on, "Deployment", "mull-operator");
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  assert.deepEqual(service.spec.ports, [
    { name: "alerts", port: 443, targetPort: "alerts", protocol: "TCP", appProtocol: "https" },
  ]);
  assert.equal(service.metadata.labels.team, "ml");
  const policy = find(on, "NetworkPolicy", "mull-operator");
  assert.deepEqual(policy.spec.ingress, [
    {
      from: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
      ],
      ports: [{ port: 9555, protocol: "TCP" }],
    },
  ]);
  // The real API server takes all of it (the TLS Secret is the user's: not rendered).
  await dryRun(ns, on);

  // An existing Secret: none rendered, only the listed keys mounted and passed.
  const existing = await render(ns, [
    "alerts.enabled=true",
    "alerts.auth.existingSecret=team-webhook",
    "alerts.auth.existingSecretKeys={basic-auth}",
  ]);
  assert.ok(!existing.some((d) => d.kind === "Secret"));
  assert.deepEqual(alertArgs(existing), [
    "--alerts-port=9443",
    "--alerts-basic-auth-file=/etc/mull-alerts/basic-auth",
  ]);
  assert.deepEqual(operator(existing).volumes.find((v: Doc) => v.name === "alerts-auth").secret, {
    secretName: "team-webhook",
    items: [{ key: "basic-auth", path: "basic-auth" }],
  });
  assert.equal(find(existing, "Service", "mull-operator-alerts").spec.ports[0].appProtocol, "http");
  await dryRun(ns, existing);
});

test("chart: the scaling alerts follow alerts.rules, and the result is still valid for promtool", async (t) => {
  const ns = await namespace(t);
  const ms = await render(ns, [
    "prometheusRule.enabled=true",
    "alerts.enabled=true",
    "alerts.auth.token=t",
    "alerts.rules.MullBinQueueWaitHigh.threshold=0.05",
    "alerts.rules.MullBinQueueWaitHigh.window=30s",
    "alerts.rules.MullBinQueueWaitHigh.for=0s",
    "alerts.rules.MullBinQueueWaitHigh.labels.mull_role=proposer",
    "alerts.rules.MullBinQueueWaitHigh.labels.mull_step=2",
    "alerts.rules.MullRouterSaturated.enabled=false",
  ]);
  const rule = find(ms, "PrometheusRule", "mull");
  const scaling = rule.spec.groups.find((g: Doc) => g.name === "mull-scaling");
  assert.deepEqual(
    scaling.rules.map((r: Doc) => r.alert),
    scalingAlerts().filter((a) => a !== "MullRouterSaturated"),
  );
  const wait = scaling.rules[0];
  assert.match(wait.expr, /> 0\.05$/);
  assert.doesNotMatch(wait.expr, /\[2m\]/);
  assert.equal(wait.expr.match(/\[30s\]/g).length, 2);
  assert.equal(wait.for, "0s");
  assert.equal(wait.labels.mull_role, "proposer");
  assert.equal(wait.labels.mull_step, "2");
  assert.equal(wait.labels.mull_action, "scale_up", "the rule's other labels stay");
  // The untouched alert is the file's.
  const file = parse(readFileSync(join(chart, "rules/mull.rules.yaml"), "utf8"));
  const fileScaling = file.groups.find((g: Doc) => g.name === "mull-scaling");
  assert.deepEqual(scaling.rules[1], fileScaling.rules[1]);

  // promtool checks the rendered rules, and the lowered threshold fires where the default is
  // quiet: a bin whose requests wait 0.1 s on average.
  const promtool = execFileSync("bash", [join(repo, "scripts/tools.sh"), "promtool"], {
    encoding: "utf8",
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), "mull-rules-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "rendered.yaml"), stringify(rule.spec));
  const check = spawnSync(promtool, ["check", "rules", "rendered.yaml"], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const series = (name: string, values: string) => ({
    series: `${name}{namespace="ml",policy="math",bin="2",pod="router-a"}`,
    values,
  });
  writeFileSync(
    join(dir, "test.yaml"),
    stringify({
      rule_files: ["rendered.yaml"],
      evaluation_interval: "15s",
      tests: [
        {
          interval: "15s",
          input_series: [
            series("mull_bin_queue_wait_seconds_sum", "0+1.5x20"),
            series("mull_bin_queue_wait_seconds_count", "0+15x20"),
          ],
          alert_rule_test: [
            {
              eval_time: "2m",
              alertname: "MullBinQueueWaitHigh",
              exp_alerts: [
                {
                  exp_labels: {
                    severity: "info",
                    namespace: "ml",
                    policy: "math",
                    bin: "2",
                    mull_namespace: "ml",
                    mull_policy: "math",
                    mull_bin: "2",
                    mull_role: "proposer",
                    mull_step: "2",
                    mull_action: "scale_up",
                  },
                  exp_annotations: {
                    summary: "Bin 2 of ml/math is queueing",
                    description: wait.annotations.description.replace(
                      "{{ $value | humanizeDuration }}",
                      "100ms",
                    ),
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  const run = spawnSync(promtool, ["test", "rules", "test.yaml"], { cwd: dir, encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);

  // The real PrometheusRule schema takes the rendered object.
  await monitoringCrds();
  const applied = await kubectl(["apply", "--dry-run=server", "-n", ns, "-f", "-"], {
    input: stringify(rule),
  });
  assert.match(applied.stdout, /prometheusrule\.monitoring\.coreos\.com\/mull .*created/);
});

test("chart: Grafana's alert rules and webhook contact point, as sidecar ConfigMaps; no notification policies", async (t) => {
  const ns = await namespace(t);
  const sets = [
    "alerts.enabled=true",
    "alerts.auth.token=t",
    "alerts.auth.hmacSecret=h",
    "alerts.grafana.enabled=true",
    "alerts.grafana.folderAnnotation=k8s-sidecar-target-directory",
    "alerts.grafana.folder=Mull scaling",
    "alerts.grafana.datasourceUid=prom-main",
    "alerts.rules.MullPoolRequestsWaiting.threshold=8",
    "prometheusRule.enabled=true",
  ];
  const ms = await render(ns, sets);
  const cms = ms.filter((d) => d.kind === "ConfigMap" && d.metadata.labels.grafana_alert === "1");
  assert.deepEqual(cms.map((c) => c.metadata.name).sort(), [
    "mull-grafana-alert-rules",
    "mull-grafana-contact-point",
  ]);
  for (const cm of cms) {
    assert.equal(cm.metadata.namespace, ns);
    assert.equal(cm.metadata.annotations["k8s-sidecar-target-directory"], "Mull scaling");
  }
  const rulesDoc = parse(
    find(ms, "ConfigMap", "mull-grafana-alert-rules").data["mull-alert-rules.yaml"],
  );
  const cpDoc = parse(
    find(ms, "ConfigMap", "mull-grafana-contact-point").data["mull-contact-points.yaml"],
  );
  for (const doc of [rulesDoc, cpDoc]) {
    assert.equal(doc.apiVersion, 1);
    assert.equal(
      doc.policies,
      undefined,
      "no notification policy: it would replace the org's tree",
    );
  }
  assert.deepEqual(Object.keys(rulesDoc).sort(), ["apiVersion", "groups"]);
  assert.deepEqual(Object.keys(cpDoc).sort(), ["apiVersion", "contactPoints"]);

  // The contact point posts to the alerts Service, with the bearer token from Grafana's env.
  const [cp] = cpDoc.contactPoints;
  assert.equal(cp.orgId, 1);
  assert.equal(cp.name, "mull-operator");
  const [receiver] = cp.receivers;
  assert.equal(receiver.type, "webhook");
  assert.match(receiver.uid, /^[a-zA-Z0-9_-]{1,40}$/);
  const service = find(ms, "Service", "mull-operator-alerts");
  assert.deepEqual(receiver.settings, {
    url: `http://${service.metadata.name}.${ns}.svc:${service.spec.ports[0].port}/alerts/grafana`,
    httpMethod: "POST",
    authorization_scheme: "Bearer",
    authorization_credentials: "$MULL_ALERTS_TOKEN",
    hmacConfig: {
      secret: "$MULL_ALERTS_HMAC_SECRET",
      header: "X-Grafana-Alerting-Signature",
      timestampHeader: "",
    },
  });

  // One group; each scaling alert becomes a rule: A the Prometheus expression, C its threshold.
  const prom = find(ms, "PrometheusRule", "mull").spec.groups.find(
    (g: Doc) => g.name === "mull-scaling",
  ).rules;
  assert.equal(rulesDoc.groups.length, 1);
  const [group] = rulesDoc.groups;
  assert.deepEqual(
    { orgId: group.orgId, name: group.name, folder: group.folder, interval: group.interval },
    { orgId: 1, name: "mull-scaling", folder: "Mull scaling", interval: "1m" },
  );
  assert.deepEqual(
    group.rules.map((r: Doc) => r.title),
    prom.map((r: Doc) => r.alert),
  );
  for (const [i, r] of group.rules.entries()) {
    const p = prom[i];
    assert.match(r.uid, /^[a-zA-Z0-9_-]{1,40}$/, r.uid);
    assert.equal(r.condition, "C");
    assert.equal(r.for, p.for);
    assert.deepEqual(r.notification_settings, { receiver: "mull-operator" });
    assert.deepEqual(
      r.data.map((d: Doc) => [d.refId, d.datasourceUid]),
      [
        ["A", "prom-main"],
        ["C", "__expr__"],
      ],
    );
    const [a, c] = r.data;
    assert.deepEqual(a.model.datasource, { type: "prometheus", uid: "prom-main" });
    assert.equal(a.model.instant, true);
    const [, threshold] = p.expr.match(/> ([0-9.]+)$/);
    assert.ok(
      p.expr.startsWith(a.model.expr),
      `${r.title}: A is the expression before "> ${threshold}"`,
    );
    assert.equal(p.expr.slice(a.model.expr.length).trim(), `> ${threshold}`);
    assert.deepEqual(c.model, {
      refId: "C",
      type: "threshold",
      expression: "A",
      datasource: { type: "__expr__", uid: "__expr__" },
      conditions: [{ evaluator: { type: "gt", params: [Number(threshold)] } }],
    });
    // Labels route the alert; Grafana expands "$" in provisioned labels, so "$$" keeps it.
    for (const [k, v] of Object.entries(p.labels as Record<string, string>)) {
      assert.equal(
        r.labels[k],
        v.replaceAll("$", () => "$$"),
        `${r.title}: ${k}`,
      );
    }
    assert.doesNotMatch(
      JSON.stringify(r.annotations),
      /\$value\b(?!s)/,
      "Grafana's $value is a string",
    );
  }
  assert.equal(group.rules[1].data[1].model.conditions[0].evaluator.params[0], 8);
  // Each query A alone is valid PromQL for the real promtool (as recording rules).
  const dir = mkdtempSync(join(tmpdir(), "mull-grafana-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "queries.yaml"),
    stringify({
      groups: [
        {
          name: "grafana-queries",
          rules: group.rules.map((r: Doc, i: number) => ({
            record: `mull:grafana_query_${i}`,
            expr: r.data[0].model.expr,
          })),
        },
      ],
    }),
  );
  const promtool = execFileSync("bash", [join(repo, "scripts/tools.sh"), "promtool"], {
    encoding: "utf8",
  }).trim();
  const check = spawnSync(promtool, ["check", "rules", "queries.yaml"], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, new RegExp(`SUCCESS: ${group.rules.length} rules found`));

  // HTTPS with TLS, basic auth instead of the token, and no HMAC without its secret.
  const tls = await render(ns, [
    "alerts.enabled=true",
    "alerts.auth.basicAuth=grafana:pw",
    "alerts.tls.secretName=webhook-tls",
    "alerts.grafana.enabled=true",
    "alerts.grafana.basicAuthUser=grafana",
    "alerts.grafana.basicAuthPassword=$MULL_ALERTS_PASSWORD",
    "alerts.grafana.namespace=grafana",
  ]);
  const tlsCp = find(tls, "ConfigMap", "mull-grafana-contact-point");
  assert.equal(tlsCp.metadata.namespace, "grafana");
  const settings = parse(tlsCp.data["mull-contact-points.yaml"]).contactPoints[0].receivers[0]
    .settings;
  assert.deepEqual(settings, {
    url: `https://mull-operator-alerts.${ns}.svc:9443/alerts/grafana`,
    httpMethod: "POST",
    username: "grafana",
    password: "$MULL_ALERTS_PASSWORD",
  });
  await dryRun(
    ns,
    ms.filter((d) => d.kind !== "PrometheusRule"),
  );
});

test("chart: the schema and the templates refuse bad alert values", async () => {
  const refuses = async (sets: string[], why: RegExp) => {
    const args = ["template", "mull", chart];
    for (const s of sets) args.push("--set", s);
    await assert.rejects(helm(args), why, sets.join(" "));
  };
  const on = ["alerts.enabled=true", "alerts.auth.token=t"];
  await refuses(["alerts.enabled=true"], /needs a bearer token or basic auth/);
  await refuses(
    [
      "alerts.enabled=true",
      "alerts.auth.existingSecret=s",
      "alerts.auth.existingSecretKeys={hmac-secret}",
    ],
    /needs a bearer token or basic auth/,
  );
  await refuses([...on, "alerts.port=0"], /alerts\/port/);
  await refuses([...on, "alerts.port=8080"], /alerts.port must differ/);
  await refuses([...on, "keda.enabled=true", "alerts.port=9090"], /alerts.port must differ/);
  await refuses([...on, "alerts.auth.basicAuth=nocolon"], /basicAuth/);
  await refuses([...on, "alerts.auth.existingSecretKeys={password}"], /existingSecretKeys/);
  await refuses([...on, "alerts.typo=1"], /typo/);
  await refuses([...on, "alerts.rules.MullNoSuchAlert.enabled=false"], /MullBinQueueWaitHigh/);
  await refuses([...on, "alerts.rules.MullBinQueueWaitHigh.for=soon"], /for/);
  await refuses([...on, "alerts.rules.MullBinQueueWaitHigh.threshold=high"], /threshold/);
  await refuses(
    [...on, "alerts.rules.MullBinQueueWaitHigh.labels.mull_action=scale_sideways"],
    /mull_action/,
  );
  await refuses([...on, "alerts.rules.MullBinQueueWaitHigh.labels.mull_role=all"], /mull_role/);
  await refuses([...on, "alerts.grafana.noDataState=Maybe"], /noDataState/);
  await refuses([...on, "alerts.grafana.url=ftp://x"], /url/);

  // The schema names exactly the scaling alerts of the rules file.
  const schema = JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8"));
  assert.deepEqual(
    [...schema.properties.alerts.properties.rules.propertyNames.enum].sort(),
    scalingAlerts().sort(),
  );
});

test("chart: installed with alerts on, the alerts Service's endpoints are every operator replica, ready", async (t) => {
  const ns = await namespace(t);
  // The operator pods, with their Secret volumes, pass the restricted Pod Security Standard.
  await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
  const token = `token-${Math.random().toString(16).slice(2)}`;
  await helm([
    "install",
    "mull",
    chart,
    "--namespace",
    ns,
    "--set",
    `operator.replicas=3,alerts.enabled=true,alerts.auth.token=${token}`,
    "--wait",
    "--timeout=6m",
  ]);
  t.after(async () => {
    await helm(["uninstall", "mull", "-n", ns, "--ignore-not-found"], { check: false });
  });
  const secret = JSON.parse(
    (await kubectl(["-n", ns, "get", "secret", "mull-alerts", "-o", "json"])).stdout,
  );
  assert.deepEqual(Object.keys(secret.data), ["token"]);
  assert.equal(Buffer.from(secret.data.token, "base64").toString(), token);

  const deployment = JSON.parse(
    (await kubectl(["-n", ns, "get", "deploy", "mull-operator", "-o", "json"])).stdout,
  );
  const selector = Object.entries(deployment.spec.selector.matchLabels as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const pods = (await kubectl(["-n", ns, "get", "pods", "-l", selector, "-o", "name"])).stdout
    .split("\n")
    .filter(Boolean)
    .map((p) => p.replace("pod/", ""))
    .sort();
  assert.equal(pods.length, 3);
  // The endpoint slice controller lists every replica, leader or not, as a ready endpoint.
  const slice = await waitFor("the alerts Service's endpoints", async () => {
    const slices = JSON.parse(
      (
        await kubectl([
          "-n",
          ns,
          "get",
          "endpointslices",
          "-l",
          "kubernetes.io/service-name=mull-operator-alerts",
          "-o",
          "json",
        ])
      ).stdout,
    ).items as Doc[];
    const ready = slices.flatMap((s) =>
      (s.endpoints ?? []).filter((e: Doc) => e.conditions?.ready).map((e: Doc) => e.targetRef.name),
    );
    return ready.length === pods.length ? { slices, ready: ready.sort() } : undefined;
  });
  assert.deepEqual(slice.ready, pods);
  assert.deepEqual(slice.slices[0].ports, [
    { name: "alerts", port: 9443, protocol: "TCP", appProtocol: "http" },
  ]);
});
