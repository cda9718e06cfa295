// The chart's alert wiring end to end with the real operator: the release is installed with the
// webhook on, and `mull operator` runs with the installed Deployment's own --alerts-* flags, the
// chart's Secret written where those flags point (the pod would have it mounted there), and a
// token of the chart's ServiceAccount. The Secret's bearer token and basic auth are accepted, a
// missing or wrong one refused, and an Alertmanager alert is recorded in the policy's status and
// adds a replica to its bin's pool, with exactly the chart's RBAC.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { logDir, repoRoot as repo, stateDir } from "../cluster/state.ts";
import { gpuPool, helm, namespace, waitFor } from "../fixture.ts";
import { applyDoc, getJson, installCrd, policyDoc } from "./operator-harness.ts";
import { tokenKubeconfig } from "./token-kubeconfig.ts";

const chart = join(repo, "charts/mull");
const node = join(repo, "node_modules/.bin/node");
const mountDir = "/etc/mull-alerts/";

test("chart: the operator with the release's alert flags and Secret authenticates with them and records an alert", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  const token = `tok-${Math.random().toString(16).slice(2)}`;
  await helm([
    "install",
    "mull",
    chart,
    "--namespace",
    ns,
    "--set",
    `operator.replicas=1,alerts.enabled=true,alerts.auth.token=${token},alerts.auth.basicAuth=am:pw-${token}`,
    "--wait",
    "--timeout=6m",
  ]);
  t.after(async () => {
    await helm(["uninstall", "mull", "-n", ns, "--ignore-not-found"], { check: false });
  });

  // The Secret's keys, as the pod sees them under its mount.
  const secret = await getJson(["-n", ns, "get", "secret", "mull-alerts"]);
  const files = mkdtempSync(join(tmpdir(), "mull-alerts-"));
  t.after(() => rmSync(files, { recursive: true, force: true }));
  for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
    writeFileSync(join(files, key), Buffer.from(value, "base64"));
  }
  const manifest = parseAllDocuments((await helm(["get", "manifest", "mull", "-n", ns])).stdout)
    .map((d) => d.toJS())
    .filter(Boolean);
  const deployment = manifest.find(
    (m) => m.kind === "Deployment" && m.metadata.name === "mull-operator",
  );
  const chartArgs: string[] = deployment.spec.template.spec.containers[0].args;
  const alertFlags = chartArgs.filter((a) => a.startsWith("--alerts-"));
  assert.deepEqual(alertFlags, [
    "--alerts-port=9443",
    `--alerts-token-file=${mountDir}token`,
    `--alerts-basic-auth-file=${mountDir}basic-auth`,
  ]);

  // The chart's args; deviations: the mount paths, a free port on loopback, the token
  // kubeconfig, and --namespace (other test files' policies share this cluster).
  const kubeconfig = await tokenKubeconfig(ns, "mull-operator");
  t.after(() => rmSync(kubeconfig, { force: true }));
  const overrides = [
    `--kubeconfig=${kubeconfig}`,
    `--namespace=${ns}`,
    "--metrics-port=0",
    "--alerts-port=0",
    "--bind-address=127.0.0.1",
  ];
  const flag = (a: string) => a.split("=")[0];
  const replaced = new Set(overrides.map(flag));
  const args = [
    ...chartArgs.filter((a) => !replaced.has(flag(a))).map((a) => a.replace(mountDir, `${files}/`)),
    ...overrides,
  ];
  const podName = `mull-operator-alerts-${Math.random().toString(16).slice(2, 8)}`;
  const child = spawn(node, [join(repo, "bin/mull.ts"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "", POD_NAME: podName, POD_NAMESPACE: ns },
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    writeFileSync(join(logDir(stateDir()), `chart-alerts-operator-${podName}.log`), out);
  });
  const logLines = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg?: string; alertsPort?: number; auth?: string[] });
  const serving = await waitFor(
    "the operator to serve the alert webhook",
    () => logLines().find((l) => l.msg === "serving the alert webhook"),
    { abort: () => (child.exitCode === null ? undefined : `operator exited:\n${out}`) },
  );
  assert.deepEqual(serving.auth, ["bearer", "basic"]);
  await waitFor(
    "the operator to lead",
    () => logLines().some((l) => l.msg === "became leader") || undefined,
  );

  await applyDoc(ns, policyDoc("tiny", pool));
  await waitFor("the operator to see the policy", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "tiny"]);
    return p.status?.observedGeneration ? p : undefined;
  });

  const replicas = async () =>
    (await getJson(["-n", ns, "get", "deploy", "tiny-b1-proposer"])).spec.replicas as number;
  const before = await waitFor("bin 1's proposer pool", () => replicas().catch(() => undefined));
  const url = `http://127.0.0.1:${serving.alertsPort}/alerts/alertmanager`;
  const startsAt = new Date().toISOString();
  const body = JSON.stringify({
    version: "4",
    groupKey: '{}:{alertname="MullBinQueueWaitHigh"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "mull",
    groupLabels: { alertname: "MullBinQueueWaitHigh" },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.monitoring.svc:9093",
    alerts: [
      {
        status: "firing",
        labels: {
          alertname: "MullBinQueueWaitHigh",
          severity: "info",
          mull_namespace: ns,
          mull_policy: "tiny",
          mull_bin: "1",
          mull_role: "proposer",
          mull_action: "scale_up",
        },
        annotations: {},
        startsAt,
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus.monitoring.svc:9090/graph",
        fingerprint: "0a1b2c3d4e5f6a7b",
      },
    ],
  });
  const post = (authorization?: string) =>
    fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(authorization ? { authorization } : {}),
      },
      body,
    });
  assert.equal((await post()).status, 401);
  assert.equal((await post("Bearer not-the-token")).status, 403);
  assert.equal((await post(`Basic ${Buffer.from("am:wrong").toString("base64")}`)).status, 403);

  const accepted = await post(`Bearer ${token}`);
  assert.equal(accepted.status, 200, await accepted.clone().text());
  const recorded = await waitFor("status.lastAlert", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "tiny"]);
    return p.status?.lastAlert?.alertname === "MullBinQueueWaitHigh" ? p : undefined;
  });
  assert.equal(recorded.status.lastAlert.source, "alertmanager");
  assert.equal(
    recorded.status.lastAlert.result,
    "applied",
    JSON.stringify(recorded.status.lastAlert),
  );
  await waitFor("bin 1's proposers to get one more replica", async () =>
    (await replicas()) === before + 1 ? true : undefined,
  );
  // The Secret's basic auth is accepted too; the same alert again is a duplicate.
  const again = await post(`Basic ${Buffer.from(`am:pw-${token}`).toString("base64")}`);
  assert.equal(again.status, 200);
  assert.match(await again.text(), /duplicate/);
  assert.equal(await replicas(), before + 1);
  assert.doesNotMatch(out, /forbidden/i, "the chart's RBAC covers the alert path");
});
