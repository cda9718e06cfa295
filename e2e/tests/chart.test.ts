// The Helm chart (charts/mull): it lints and renders, the API server accepts what it renders, and
// the RBAC it installs is enough for the real operator and no more. The operator pods the chart
// deploys land on kwok nodes, which only pretend to run them, so the test runs the operator
// process itself with a token of the chart's ServiceAccount and the chart's own arguments.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { logDir, repoRoot as repo, stateDir } from "../cluster/state.ts";
import { gpuPool, helm, kubectl, monitoringCrds, namespace, waitFor } from "../fixture.ts";
import {
  applyDoc,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  waitReady,
} from "./operator-harness.ts";
import { tokenKubeconfig } from "./token-kubeconfig.ts";

const chart = join(repo, "charts/mull");
const node = join(repo, "node_modules/.bin/node");
const crdFile = "mull.dev_testtimepolicies.yaml";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, inspected freely
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  rules?: any[];
}

function docs(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null && typeof d === "object");
}

async function render(release: string, ns: string, sets: string[] = []): Promise<Manifest[]> {
  const args = ["template", release, chart, "--namespace", ns];
  for (const s of sets) args.push("--set", s);
  return docs((await helm(args)).stdout);
}

const kinds = (ms: Manifest[]) => ms.map((m) => `${m.kind}/${m.metadata.name}`).sort();
const find = (ms: Manifest[], kind: string, name: string) => {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(m, `${kind}/${name} rendered; have ${kinds(ms).join(", ")}`);
  return m;
};

/** `kubectl apply --dry-run=server`: admission, schema and PodSecurity see it, nothing persists. */
async function dryRun(ns: string, ms: Manifest[]): Promise<void> {
  const r = await kubectl(["apply", "--dry-run=server", "-n", ns, "-f", "-"], {
    input: ms.map((m) => stringify(m)).join("---\n"),
  });
  assert.equal(r.stdout.trim().split("\n").length, ms.length, r.stdout);
  assert.doesNotMatch(r.stderr, /PodSecurity|[Ww]arning/, r.stderr);
}

/** Answers of `kubectl auth can-i` as the chart's ServiceAccount. */
async function canI(sa: string, args: string[]): Promise<boolean> {
  const r = await kubectl(["auth", "can-i", ...args, `--as=${sa}`], { check: false });
  return r.stdout.trim() === "yes";
}

interface OperatorChild {
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | string>;
}

/**
 * Runs `node bin/mull.ts <the chart's operator args>` with the ServiceAccount's kubeconfig, the
 * downward-API env the chart sets, and `overrides` replacing flags of the same name.
 */
function runOperator(
  t: { after: (fn: () => Promise<void>) => void },
  chartArgs: string[],
  overrides: string[],
  env: Record<string, string>,
): OperatorChild {
  const flag = (a: string) => a.split("=")[0];
  const replaced = new Set(overrides.map(flag));
  const args = [...chartArgs.filter((a) => !replaced.has(flag(a))), ...overrides];
  const child = spawn(node, [join(repo, "bin/mull.ts"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "", ...env },
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    // Kept for post-mortems, beside the control plane's own logs.
    writeFileSync(join(logDir(stateDir()), `chart-operator-${env.POD_NAME}.log`), out);
  });
  return { child, logs: () => out, exited };
}

/** The operator container's args in the installed release's Deployment. */
async function installedOperatorArgs(release: string, ns: string): Promise<string[]> {
  const manifest = docs((await helm(["get", "manifest", release, "-n", ns])).stdout);
  const d = manifest.find((m) => m.kind === "Deployment" && m.metadata.name.endsWith("-operator"));
  assert.ok(d, "operator Deployment in the release");
  const c = d.spec.template.spec.containers[0];
  // No command: the image's entrypoint, `mull` (test/image.test.ts runs it).
  assert.equal(c.command, undefined);
  return c.args as string[];
}

/** Every object of the release, from `helm get manifest`. */
async function releaseObjects(release: string, ns: string): Promise<Manifest[]> {
  return docs((await helm(["get", "manifest", release, "-n", ns])).stdout);
}

async function exists(m: Manifest, releaseNs: string): Promise<boolean> {
  const group = m.apiVersion.includes("/") ? `.${m.apiVersion.split("/")[0]}` : "";
  const namespaced = !["ClusterRole", "ClusterRoleBinding"].includes(m.kind);
  const r = await kubectl(
    [
      "get",
      `${m.kind}${group}/${m.metadata.name}`,
      ...(namespaced ? ["-n", m.metadata.namespace ?? releaseNs] : []),
      "--ignore-not-found",
      "-o",
      "name",
    ],
    { check: true },
  );
  return r.stdout.trim() !== "";
}

/** `helm uninstall` and proof that every object it made is gone, and the CRD is not. */
async function uninstallAndCheck(release: string, ns: string, made: Manifest[]): Promise<void> {
  await helm(["uninstall", release, "-n", ns, "--wait", "--timeout=6m"]);
  for (const m of made) {
    assert.equal(await exists(m, ns), false, `${m.kind}/${m.metadata.name} left after uninstall`);
  }
  const left = await kubectl([
    "get",
    "all,sa,role,rolebinding,clusterrole,clusterrolebinding,secret",
    "-A",
    "-l",
    `app.kubernetes.io/instance=${release},app.kubernetes.io/managed-by=Helm`,
    "-o",
    "name",
  ]);
  assert.equal(left.stdout.trim(), "", "objects labelled with the release");
  const releaseSecrets = await kubectl([
    "get",
    "secrets",
    "-n",
    ns,
    "-l",
    `owner=helm,name=${release}`,
    "-o",
    "name",
  ]);
  assert.equal(releaseSecrets.stdout.trim(), "", "helm's release record");
  // Helm's crds/ rule: installed with the chart, never deleted with it.
  await kubectl(["get", "crd", "testtimepolicies.mull.dev"]);
}

/** Small policies pinned to the test's GPU pool: one GPU per replica, one replica per pool. */
function twoBinPolicy(name: string, pool: Parameters<typeof policyDoc>[1]): PolicyDoc {
  return policyDoc(name, pool, (doc) => {
    doc.spec.difficulty.bins = 2;
    doc.spec.difficulty.thresholds = [0.5];
    doc.spec.budget.gpus = 4;
    doc.spec.bins = doc.spec.bins.slice(0, 2);
    for (const b of doc.spec.bins) {
      b.proposer = { minReplicas: 1, maxReplicas: 1 };
      b.verifier = { minReplicas: 1, maxReplicas: 1 };
    }
  });
}

function oneBin(doc: PolicyDoc): void {
  doc.spec.difficulty.bins = 1;
  doc.spec.difficulty.thresholds = [];
  doc.spec.bins = doc.spec.bins.slice(0, 1);
}

async function policyEvents(ns: string, name: string): Promise<PolicyDoc[]> {
  return (
    await getJson([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      `involvedObject.kind=TestTimePolicy,involvedObject.name=${name}`,
    ])
  ).items;
}

/** The operator's log has no authorization failure of any kind. */
function assertNoForbidden(logs: string): void {
  assert.doesNotMatch(logs, /forbidden|unauthorized|cannot (list|watch|get|create|patch)/i, logs);
  for (const msg of ["reconcile failed", "could not record event", "lease renewal failed"]) {
    assert.ok(!logs.includes(`"msg":"${msg}"`), `logged "${msg}":\n${logs}`);
  }
}

async function stopOperator(op: OperatorChild): Promise<void> {
  op.child.kill("SIGTERM");
  assert.equal(await op.exited, 0, op.logs());
}

test("chart: helm lint, helm template and a server-side dry run of what it renders", async (t) => {
  await helm(["lint", "--strict", chart]);
  await helm([
    "lint",
    "--strict",
    chart,
    "--set",
    "router.enabled=true,router.policyConfigMap=math-router,metrics.serviceMonitor.enabled=true",
  ]);
  const ns = await namespace(t);
  await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
  await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/warn=restricted"]);

  // Defaults: the operator with cluster-wide RBAC, no router, no ServiceMonitor.
  const defaults = await render("mull", ns);
  assert.deepEqual(kinds(defaults), [
    `ClusterRole/mull-operator-${ns}`,
    `ClusterRoleBinding/mull-operator-${ns}`,
    "ConfigMap/mull-dashboard-efficiency",
    "ConfigMap/mull-dashboard-fleet",
    "ConfigMap/mull-dashboard-operator",
    "ConfigMap/mull-dashboard-router",
    "Deployment/mull-operator",
    "PodDisruptionBudget/mull-operator",
    "Role/mull-operator-leader-election",
    "RoleBinding/mull-operator-leader-election",
    "Service/mull-operator-metrics",
    "ServiceAccount/mull-operator",
  ]);
  const op = find(defaults, "Deployment", "mull-operator");
  assert.equal(op.spec.replicas, 2);
  const pod = op.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.image, "ghcr.io/mull-dev/mull:0.1.0");
  assert.deepEqual(c.args, [
    "operator",
    "--leader-elect=true",
    "--lease-name=mull-operator",
    `--lease-namespace=${ns}`,
    "--lease-duration=15",
    "--renew-deadline=10",
    "--retry-period=2",
    "--resync-period=300",
    "--concurrency=4",
    "--metrics-port=8080",
    "--bind-address=0.0.0.0",
    "--log-level=info",
  ]);
  assert.deepEqual(
    c.env.map(
      (e: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }) => [
        e.name,
        e.value ?? e.valueFrom?.fieldRef.fieldPath,
      ],
    ),
    [
      ["POD_NAME", "metadata.name"],
      ["POD_NAMESPACE", "metadata.namespace"],
      // Half the default 256Mi memory limit (operator.heapPercent).
      ["NODE_OPTIONS", "--max-old-space-size=128"],
    ],
  );
  assert.deepEqual(c.resources, {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { memory: "256Mi" },
  });
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.equal(c.livenessProbe.httpGet.port, "metrics");
  assert.equal(c.ports[0].containerPort, 8080);
  assert.equal(pod.serviceAccountName, "mull-operator");
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  const svc = find(defaults, "Service", "mull-operator-metrics");
  assert.deepEqual(svc.spec.selector, op.spec.selector.matchLabels);
  for (const m of defaults) {
    assert.equal(m.metadata.labels?.["app.kubernetes.io/instance"], "mull", m.kind);
    assert.equal(m.metadata.labels?.["app.kubernetes.io/managed-by"], "Helm", m.kind);
    assert.equal(m.metadata.labels?.["app.kubernetes.io/name"], "mull", m.kind);
  }
  await dryRun(ns, defaults);

  // Everything on: the router with its OpenAI-compatible API behind a key Secret, ServiceMonitors
  // with kube-prometheus-stack's label, one watched namespace (Role/RoleBinding there instead of
  // the ClusterRole).
  const full = await render("mull", ns, [
    "router.enabled=true",
    "router.policyConfigMap=math-router",
    "router.http.enabled=true",
    "router.http.apiKeysSecret=router-keys",
    "metrics.serviceMonitor.enabled=true",
    "metrics.serviceMonitor.labels.release=kube-prometheus-stack",
    `operator.watchNamespace=${ns}`,
    "operator.nodeSelector.pool=cpu",
    "operator.tolerations[0].key=dedicated",
    "operator.tolerations[0].operator=Exists",
  ]);
  assert.deepEqual(kinds(full), [
    "ConfigMap/mull-dashboard-efficiency",
    "ConfigMap/mull-dashboard-fleet",
    "ConfigMap/mull-dashboard-operator",
    "ConfigMap/mull-dashboard-router",
    "Deployment/mull-operator",
    "Deployment/mull-router",
    "PodDisruptionBudget/mull-operator",
    "PodDisruptionBudget/mull-router",
    "PodMonitor/mull-pools",
    "Role/mull-operator",
    "Role/mull-operator-leader-election",
    "RoleBinding/mull-operator",
    "RoleBinding/mull-operator-leader-election",
    "Service/mull-operator-metrics",
    "Service/mull-router",
    "ServiceAccount/mull-operator",
    "ServiceAccount/mull-router",
    "ServiceMonitor/mull-operator",
    "ServiceMonitor/mull-router",
  ]);
  assert.ok(find(full, "Deployment", "mull-operator").spec.template.spec.containers[0].args);
  assert.ok(
    find(full, "Deployment", "mull-operator").spec.template.spec.containers[0].args.includes(
      `--namespace=${ns}`,
    ),
  );
  assert.deepEqual(find(full, "Deployment", "mull-operator").spec.template.spec.nodeSelector, {
    pool: "cpu",
  });
  const router = find(full, "Deployment", "mull-router").spec.template.spec;
  const rc = router.containers[0];
  assert.deepEqual(rc.args.slice(0, 5), [
    "router",
    "--config=/etc/mull/router.yaml",
    "--host=0.0.0.0",
    "--port=50051",
    "--metrics-port=9090",
  ]);
  assert.deepEqual(
    rc.args.filter((a: string) => /^--(http|api-keys)/.test(a)),
    ["--http-port=8080", "--http-timeout-ms=300000", "--api-keys-file=/etc/mull-api-keys/api-keys"],
  );
  assert.ok(
    rc.ports.some(
      (p: { name: string; containerPort: number }) => p.name === "http" && p.containerPort === 8080,
    ),
  );
  assert.deepEqual(router.volumes.find((v: { name: string }) => v.name === "api-keys").secret, {
    secretName: "router-keys",
    items: [{ key: "api-keys", path: "api-keys" }],
  });
  assert.equal(
    rc.volumeMounts.find((v: { name: string }) => v.name === "api-keys").mountPath,
    "/etc/mull-api-keys",
  );
  assert.ok(
    find(full, "Service", "mull-router").spec.ports.some(
      (p: { name: string; port: number; targetPort: string }) =>
        p.name === "http" && p.port === 8080 && p.targetPort === "http",
    ),
  );
  assert.deepEqual(rc.readinessProbe.grpc, { port: 50051 });
  assert.deepEqual(rc.livenessProbe.grpc, { port: 50051 });
  assert.equal(router.automountServiceAccountToken, false);
  assert.deepEqual(
    router.volumes.find((v: { name: string }) => v.name === "config").configMap.name,
    "math-router",
  );
  assert.equal(
    rc.volumeMounts.find((v: { name: string }) => v.name === "config").mountPath,
    "/etc/mull",
  );
  const monitors = full.filter((m) => m.kind === "ServiceMonitor");
  for (const sm of monitors) {
    assert.equal(sm.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(sm.metadata.labels?.release, "kube-prometheus-stack");
    // The ServiceMonitor selects exactly one rendered Service, which has the port it scrapes.
    const selected = full.filter(
      (m) =>
        m.kind === "Service" &&
        Object.entries(sm.spec.selector.matchLabels).every(
          ([k, v]) => m.metadata.labels?.[k] === v,
        ),
    );
    assert.equal(selected.length, 1, sm.metadata.name);
    assert.ok(
      selected[0]?.spec.ports.some((p: { name: string }) => p.name === sm.spec.endpoints[0].port),
    );
  }
  // prometheus-operator's own CRDs check the monitors like everything else.
  await monitoringCrds();
  await dryRun(ns, full);

  // values.schema.json and the template guards reject bad values before anything is applied.
  const bad = async (set: string, why: RegExp) => {
    const r = await helm(["template", "mull", chart, "--set", set], { check: false });
    assert.notEqual(r.code, 0, set);
    assert.match(r.stderr, why, set);
  };
  await bad("router.enabled=true", /policyConfigMap/);
  await bad("operator.replicas=-1", /replicas/);
  await bad("operator.replica=1", /additional properties 'replica'/);
  await bad("operator.logLevel=loud", /logLevel/);
  await bad("router.http.apiKeysSecret=Not_A_Name", /apiKeysSecret/);
  await bad("operator.leaderElection.enabled=false", /leaderElection/);

  // The chart's CRD is the generated one, byte for byte (scripts/generate.sh copies it).
  assert.equal(
    readFileSync(join(chart, "crds", crdFile), "utf8"),
    readFileSync(join(repo, "crds", crdFile), "utf8"),
  );
  const shown = docs((await helm(["show", "crds", chart])).stdout);
  assert.deepEqual(kinds(shown), ["CustomResourceDefinition/testtimepolicies.mull.dev"]);
});

test("chart: helm install; the operator runs on the chart's ServiceAccount token and reconciles; uninstall cleans up", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  // The operator and router pods must pass the restricted Pod Security Standard to be created.
  await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
  const pool = await gpuPool(t, { nodes: 1, gpusPerNode: 4 });
  const release = "mull";
  const sa = "mull-operator";
  const saUser = `system:serviceaccount:${ns}:${sa}`;

  await helm([
    "install",
    release,
    chart,
    "--namespace",
    ns,
    "--set",
    "operator.replicas=1",
    "--set",
    "router.enabled=true",
    "--set",
    "router.policyConfigMap=tiny-router",
    "--wait",
    "--timeout=6m",
  ]);
  t.after(async () => {
    await helm(["uninstall", release, "-n", ns, "--ignore-not-found"], { check: false });
  });
  const made = await releaseObjects(release, ns);
  assert.deepEqual(kinds(made), [
    `ClusterRole/mull-operator-${ns}`,
    `ClusterRoleBinding/mull-operator-${ns}`,
    "ConfigMap/mull-dashboard-efficiency",
    "ConfigMap/mull-dashboard-fleet",
    "ConfigMap/mull-dashboard-operator",
    "ConfigMap/mull-dashboard-router",
    "Deployment/mull-operator",
    "Deployment/mull-router",
    "PodDisruptionBudget/mull-operator",
    "PodDisruptionBudget/mull-router",
    "Role/mull-operator-leader-election",
    "RoleBinding/mull-operator-leader-election",
    "Service/mull-operator-metrics",
    "Service/mull-router",
    "ServiceAccount/mull-operator",
    "ServiceAccount/mull-router",
  ]);
  // --wait returned: the Deployments' pods were admitted under "restricted" and are Ready (kwok).
  for (const d of ["mull-operator", "mull-router"]) {
    const dep = await getJson(["-n", ns, "get", "deploy", d]);
    assert.equal(dep.status.readyReplicas, 1, d);
  }
  await kubectl(["get", "crd", "testtimepolicies.mull.dev"]);

  // What the ServiceAccount may do: exactly the operator's calls.
  const yes: string[][] = [
    ["list", "testtimepolicies.mull.dev", "--all-namespaces"],
    ["watch", "testtimepolicies.mull.dev", "--all-namespaces"],
    ["patch", "testtimepolicies.mull.dev", "--subresource=status", "-n", ns],
    ["update", "testtimepolicies.mull.dev", "--subresource=finalizers", "-n", ns],
    ["list", "deployments.apps", "--all-namespaces"],
    ["watch", "pods", "--all-namespaces"],
    ["create", "deployments.apps", "-n", ns],
    ["patch", "services", "-n", ns],
    ["delete", "configmaps", "-n", ns],
    ["create", "events", "-n", ns],
    ["create", "leases.coordination.k8s.io", "-n", ns],
    ["update", "leases.coordination.k8s.io/mull-operator", "-n", ns],
  ];
  const no: string[][] = [
    ["delete", "nodes"],
    ["create", "secrets", "-n", ns],
    ["get", "secrets", "-n", ns],
    ["list", "secrets", "--all-namespaces"],
    ["get", "deployments.apps", "-n", ns], // reads come from the informer caches
    ["update", "deployments.apps", "-n", ns],
    ["create", "pods", "-n", ns],
    ["delete", "pods", "-n", ns],
    ["patch", "testtimepolicies.mull.dev", "-n", ns], // spec belongs to the user
    ["delete", "testtimepolicies.mull.dev", "-n", ns],
    ["create", "events.events.k8s.io", "-n", ns], // it writes core/v1 Events
    ["update", "leases.coordination.k8s.io/someone-elses", "-n", ns],
    ["update", "leases.coordination.k8s.io/mull-operator", "-n", "kube-system"],
    ["create", "clusterroles.rbac.authorization.k8s.io"],
    ["update", "customresourcedefinitions.apiextensions.k8s.io"],
  ];
  for (const q of yes) assert.equal(await canI(saUser, q), true, `can-i ${q.join(" ")}`);
  for (const q of no) assert.equal(await canI(saUser, q), false, `can-i ${q.join(" ")}`);

  // The real operator, authenticated only by a token of the chart's ServiceAccount, with the
  // args of the installed Deployment. Deviations: a free metrics port on loopback, the token
  // kubeconfig, and --namespace: the chart's default watches every namespace, and other test
  // files' policies run in parallel on this cluster (the ClusterRole grants a superset).
  const kubeconfig = await tokenKubeconfig(ns, sa);
  t.after(() => rmSync(kubeconfig, { force: true }));
  const whoami = await kubectl(["--kubeconfig", kubeconfig, "auth", "whoami", "-o", "json"]);
  assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, saUser);
  const podName = `mull-operator-e2e-${randomBytes(3).toString("hex")}`;
  const chartArgs = await installedOperatorArgs(release, ns);
  const op = runOperator(
    t,
    chartArgs,
    [
      `--kubeconfig=${kubeconfig}`,
      `--namespace=${ns}`,
      "--metrics-port=0",
      "--bind-address=127.0.0.1",
    ],
    { POD_NAME: podName, POD_NAMESPACE: ns },
  );

  await applyDoc(ns, twoBinPolicy("tiny", pool));
  const ready = await waitReady(ns, "tiny");
  assert.equal(ready.status.gpus.requested, 4);
  const labelSelector = "mull.dev/policy=tiny";
  const names = async (kind: string) =>
    (await getJson(["-n", ns, "get", kind, "-l", labelSelector])).items
      .map((o: PolicyDoc) => o.metadata.name)
      .sort();
  const pools = ["b1", "b2"].flatMap((b) => [`tiny-${b}-proposer`, `tiny-${b}-verifier`]);
  assert.deepEqual(await names("deploy"), pools);
  assert.deepEqual(await names("svc"), pools);
  assert.deepEqual(await names("configmap"), ["tiny-router"]);
  // The router the chart deployed mounts exactly that ConfigMap.
  const routerDep = await getJson(["-n", ns, "get", "deploy", "mull-router"]);
  assert.equal(
    routerDep.spec.template.spec.volumes.find((v: { name: string }) => v.name === "config")
      .configMap.name,
    "tiny-router",
  );
  // Leader election ran in the release namespace under the downward-API identity.
  const lease = await getJson(["-n", ns, "get", "lease", "mull-operator"]);
  assert.equal(lease.spec.holderIdentity, podName);
  // Events (core/v1 create) from the operator: one for everything the first reconcile created.
  const created = await waitFor("a Created event on tiny", async () =>
    (await policyEvents(ns, "tiny")).find((e) => e.reason === "Created"),
  );
  assert.equal(
    created.message,
    "created 4 Deployments, 4 Services and 1 ConfigMap: " +
      "tiny-b1-proposer, tiny-b1-verifier, tiny-b2-proposer, tiny-b2-verifier, tiny-router",
  );
  assert.equal(created.reportingComponent, "mull.dev/mull-operator");

  // Pruning (delete): drop bin 2; its pools go and a Pruned event is recorded.
  await applyDoc(
    ns,
    (() => {
      const doc = twoBinPolicy("tiny", pool);
      oneBin(doc);
      return doc;
    })(),
  );
  await waitFor("bin 2 pruned", async () => {
    const deploys = await names("deploy");
    const svcs = await names("svc");
    return deploys.length === 2 && svcs.length === 2 ? true : undefined;
  });
  assert.deepEqual(await names("deploy"), ["tiny-b1-proposer", "tiny-b1-verifier"]);
  const pruned = await waitFor("Pruned event", async () =>
    (await policyEvents(ns, "tiny")).find((e) => e.reason === "Pruned"),
  );
  assert.equal(pruned.type, "Normal");
  assert.equal(
    pruned.message,
    "pruned 2 Deployments and 2 Services no longer in the spec: tiny-b2-proposer, tiny-b2-verifier",
  );
  const after = await waitReady(ns, "tiny");
  assert.equal(after.status.gpus.requested, 2);

  // SIGTERM: the lease is released (update) and the process exits 0.
  await stopOperator(op);
  const released = await getJson(["-n", ns, "get", "lease", "mull-operator"]);
  assert.equal(released.spec.holderIdentity ?? "", "");
  assertNoForbidden(op.logs());
  assert.match(op.logs(), /"msg":"became leader"/);

  await uninstallAndCheck(release, ns, made);
  // The operator's objects belong to the policy, not to the release: they stay.
  assert.deepEqual(await names("deploy"), ["tiny-b1-proposer", "tiny-b1-verifier"]);
});

test("chart: operator.watchNamespace gives namespaced RBAC that is enough, and only there", async (t) => {
  await installCrd();
  const ns = await namespace(t); // the release (operator, lease)
  const watched = await namespace(t); // the policies
  const pool = await gpuPool(t, { nodes: 1, gpusPerNode: 2 });
  const release = "mull-ns";
  const sa = "mull-ns-operator";
  const saUser = `system:serviceaccount:${ns}:${sa}`;

  await helm([
    "install",
    release,
    chart,
    "--namespace",
    ns,
    "--set",
    "operator.replicas=1",
    "--set",
    `operator.watchNamespace=${watched}`,
    "--wait",
    "--timeout=6m",
  ]);
  t.after(async () => {
    await helm(["uninstall", release, "-n", ns, "--ignore-not-found"], { check: false });
  });
  const made = await releaseObjects(release, ns);
  assert.deepEqual(kinds(made), [
    "ConfigMap/mull-ns-dashboard-efficiency",
    "ConfigMap/mull-ns-dashboard-fleet",
    "ConfigMap/mull-ns-dashboard-operator",
    "ConfigMap/mull-ns-dashboard-router",
    "Deployment/mull-ns-operator",
    "PodDisruptionBudget/mull-ns-operator",
    "Role/mull-ns-operator",
    "Role/mull-ns-operator-leader-election",
    "RoleBinding/mull-ns-operator",
    "RoleBinding/mull-ns-operator-leader-election",
    "Service/mull-ns-operator-metrics",
    "ServiceAccount/mull-ns-operator",
  ]);
  assert.equal(find(made, "Role", "mull-ns-operator").metadata.namespace, watched);

  assert.equal(await canI(saUser, ["list", "testtimepolicies.mull.dev", "-n", watched]), true);
  assert.equal(await canI(saUser, ["create", "leases.coordination.k8s.io", "-n", ns]), true);
  for (const q of [
    ["list", "testtimepolicies.mull.dev", "--all-namespaces"],
    ["list", "deployments.apps", "-n", ns],
    ["create", "deployments.apps", "-n", "default"],
    ["create", "leases.coordination.k8s.io", "-n", watched],
    ["create", "secrets", "-n", watched],
    ["delete", "nodes"],
  ]) {
    assert.equal(await canI(saUser, q), false, `can-i ${q.join(" ")}`);
  }

  // Here the chart's args already carry --namespace: only the port and kubeconfig differ.
  const chartArgs = await installedOperatorArgs(release, ns);
  assert.ok(chartArgs.includes(`--namespace=${watched}`), chartArgs.join(" "));
  assert.ok(chartArgs.includes(`--lease-namespace=${ns}`), chartArgs.join(" "));
  const kubeconfig = await tokenKubeconfig(ns, sa);
  t.after(() => rmSync(kubeconfig, { force: true }));
  const podName = `mull-ns-operator-e2e-${randomBytes(3).toString("hex")}`;
  const op = runOperator(
    t,
    chartArgs,
    [`--kubeconfig=${kubeconfig}`, "--metrics-port=0", "--bind-address=127.0.0.1"],
    { POD_NAME: podName, POD_NAMESPACE: ns },
  );

  const doc = twoBinPolicy("solo", pool);
  oneBin(doc);
  doc.spec.budget.gpus = 2;
  await applyDoc(watched, doc);
  const ready = await waitReady(watched, "solo");
  assert.equal(ready.status.gpus.requested, 2);
  const deploys = (await getJson(["-n", watched, "get", "deploy", "-l", "mull.dev/policy=solo"]))
    .items;
  assert.equal(deploys.length, 2);
  await kubectl(["-n", watched, "get", "configmap", "solo-router"]);
  await waitFor("a Created event on solo", async () =>
    (await policyEvents(watched, "solo")).some((e) => e.reason === "Created") ? true : undefined,
  );
  const lease = await getJson(["-n", ns, "get", "lease", "mull-operator"]);
  assert.equal(lease.spec.holderIdentity, podName);

  await stopOperator(op);
  assertNoForbidden(op.logs());
  await uninstallAndCheck(release, ns, made);
});
