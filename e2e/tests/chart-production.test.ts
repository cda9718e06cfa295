// What the chart adds for production, on the real control plane: PodDisruptionBudgets the
// disruption controller computes and the eviction API honours, topology spread, the operator's
// heap sized from its memory limit, NetworkPolicies whose selectors pick exactly the pods the
// operator labels (controller/desired/naming.ts) and the router, the Grafana dashboard ConfigMaps,
// and the PrometheusRule holding the promtool-checked rules file.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  policyLabel,
  poolLabels,
  routerConfigName,
  servingPort,
} from "../../controller/desired/naming.ts";
import type { Role } from "../../controller/policy/names.ts";
import { repoRoot as repo } from "../cluster/state.ts";
import { helm, kubectl, monitoringCrds, namespace, waitFor } from "../fixture.ts";
import { getJson } from "./operator-harness.ts";

const chart = join(repo, "charts/mull");
const node = join(repo, "node_modules/.bin/node");

type Manifest = {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, inspected freely
  [k: string]: any;
};

async function render(ns: string, sets: string[]): Promise<Manifest[]> {
  const args = ["template", "mull", chart, "--namespace", ns];
  for (const s of sets) args.push("--set", s);
  return parseAllDocuments((await helm(args)).stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

function one(ms: Manifest[], kind: string, name: string): Manifest {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(m, `${kind}/${name} in ${ms.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return m;
}

async function install(
  t: { after: (fn: () => Promise<void>) => void },
  ns: string,
  sets: string[],
) {
  const args = ["install", "mull", chart, "--namespace", ns, "--wait", "--timeout=6m"];
  for (const s of sets) args.push("--set", s);
  await helm(args);
  t.after(async () => {
    await helm(["uninstall", "mull", "-n", ns, "--ignore-not-found"], { check: false });
  });
}

/** Names of the pods in `ns` a matchLabels selector picks, as the API server selects them. */
async function selected(ns: string, matchLabels: Record<string, string>): Promise<string[]> {
  const selector = Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const r = await kubectl(["get", "pods", "-n", ns, "-l", selector, "-o", "name"]);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace("pod/", ""))
    .sort();
}

async function podsOf(ns: string, deployment: string): Promise<string[]> {
  const d = await getJson(["-n", ns, "get", "deploy", deployment]);
  return selected(ns, d.spec.selector.matchLabels);
}

test("chart: PodDisruptionBudgets hold, pods spread, the operator's heap follows its memory limit", async (t) => {
  const ns = await namespace(t);
  await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
  const spread = (who: string) => [
    `${who}.topologySpreadConstraints[0].maxSkew=1`,
    `${who}.topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname`,
    `${who}.topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway`,
  ];
  await install(t, ns, [
    "operator.replicas=2",
    "router.enabled=true",
    "router.replicas=2",
    `router.policyConfigMap=${routerConfigName("math")}`,
    ...spread("operator"),
    ...spread("router"),
  ]);

  for (const d of ["mull-operator", "mull-router"]) {
    // The disruption controller (kube-controller-manager) computes the budget from live pods.
    // The controller-manager's resync on a loaded machine can take minutes; the last status seen
    // is reported on timeout.
    const pdb = await waitFor(
      `PodDisruptionBudget ${d} computed`,
      async () => {
        const p = await getJson(["-n", ns, "get", "pdb", d]);
        if (p.status?.expectedPods === 2 && p.status?.currentHealthy === 2) return p;
        throw new Error(`status ${JSON.stringify(p.status ?? {})}`);
      },
      { timeoutMs: 240_000 },
    );
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.equal(pdb.status.disruptionsAllowed, 1, d);
    const dep = await getJson(["-n", ns, "get", "deploy", d]);
    assert.deepEqual(pdb.spec.selector.matchLabels, dep.spec.selector.matchLabels);
    // The constraint got the component's own selector, and the API server kept it.
    const [c] = dep.spec.template.spec.topologySpreadConstraints;
    assert.deepEqual(c.labelSelector.matchLabels, dep.spec.selector.matchLabels);
    assert.equal(c.topologyKey, "kubernetes.io/hostname");
  }

  // The eviction API (what `kubectl drain` uses) consults the budget: one operator pod may go.
  // (That a second is then refused is a race with kwok readying the replacement: not asserted.)
  const [victim] = await podsOf(ns, "mull-operator");
  assert.ok(victim);
  await kubectl(
    ["create", "--raw", `/api/v1/namespaces/${ns}/pods/${victim}/eviction`, "-f", "-"],
    {
      input: JSON.stringify({
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name: victim, namespace: ns },
      }),
    },
  );
  // Heap: half the memory limit, in a form Node itself accepts.
  const heapOf = async (): Promise<string> => {
    const dep = await getJson(["-n", ns, "get", "deploy", "mull-operator"]);
    const env = dep.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    const value = env.find((e) => e.name === "NODE_OPTIONS")?.value;
    assert.ok(value, "NODE_OPTIONS set");
    return value;
  };
  const defaults = await heapOf();
  assert.equal(defaults, "--max-old-space-size=128");
  // Node accepts the flag in NODE_OPTIONS and it sizes the old space: the heap limits of 128 and
  // 512 differ by exactly 384 MiB (V8 adds its young generation to both).
  const heapLimit = (options: string) =>
    Number(
      execFileSync(
        node,
        ["-e", "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"],
        { env: { ...process.env, NODE_OPTIONS: options }, encoding: "utf8" },
      ),
    );
  assert.equal(heapLimit("--max-old-space-size=512") - heapLimit(defaults), 384 * 2 ** 20);
  assert.ok(heapLimit(defaults) < heapLimit(""), "below Node's own default");
  await helm([
    "upgrade",
    "mull",
    chart,
    "-n",
    ns,
    "--reuse-values",
    "--set",
    "operator.resources.limits.memory=1Gi",
  ]);
  assert.equal(await heapOf(), "--max-old-space-size=512");
});

test("chart: NetworkPolicies select exactly the operator's pool pods and the router", async (t) => {
  const ns = await namespace(t);
  const policy = "math";
  const monitoring = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
  };
  await install(t, ns, [
    "networkPolicy.enabled=true",
    "router.enabled=true",
    `router.policyConfigMap=${routerConfigName(policy)}`,
    "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring",
  ]);
  const policies = Object.fromEntries(
    (await getJson<{ items: Manifest[] }>(["-n", ns, "get", "networkpolicy"])).items.map((p) => [
      p.metadata.name,
      p.spec,
    ]),
  );
  assert.deepEqual(Object.keys(policies).sort(), [
    "mull-math-pools",
    "mull-operator",
    "mull-pools",
    "mull-router",
  ]);

  // Pods labelled exactly as the operator labels pool pods (naming.ts), for this policy and
  // another, and a calibration job's pod.
  const pool = (p: string, bin: number, role: Role) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${p}-b${bin}-${role}-0`, labels: poolLabels(p, bin, role) },
    spec: { containers: [{ name: "vllm", image: "vllm/vllm-openai" }] },
  });
  const mathPods = [
    pool(policy, 1, "proposer"),
    pool(policy, 1, "verifier"),
    pool(policy, 2, "proposer"),
  ];
  const otherPods = [pool("other", 1, "proposer")];
  const calibration = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "calibrate-math-0",
      labels: { "app.kubernetes.io/part-of": "mull", "app.kubernetes.io/component": "calibration" },
    },
    spec: { containers: [{ name: "calibrate", image: "ghcr.io/mull-dev/mull:0.1.0" }] },
  };
  await kubectl(["apply", "-n", ns, "-f", "-"], {
    input: [...mathPods, ...otherPods, calibration].map((p) => stringify(p)).join("---\n"),
  });
  const names = (pods: Array<{ metadata: { name: string } }>) =>
    pods.map((p) => p.metadata.name).sort();
  const routerPods = await podsOf(ns, "mull-router");
  const operatorPods = await podsOf(ns, "mull-operator");
  assert.equal(routerPods.length, 1);

  // Whom each policy applies to.
  assert.deepEqual(
    await selected(ns, policies["mull-pools"].podSelector.matchLabels),
    names([...mathPods, ...otherPods]),
  );
  assert.deepEqual(
    await selected(ns, policies["mull-math-pools"].podSelector.matchLabels),
    names(mathPods),
  );
  assert.deepEqual(await selected(ns, policies["mull-router"].podSelector.matchLabels), routerPods);
  assert.deepEqual(
    await selected(ns, policies["mull-operator"].podSelector.matchLabels),
    operatorPods,
  );
  assert.equal(policies["mull-math-pools"].podSelector.matchLabels[policyLabel], policy);

  // The router reaches only its policy's pools, on the serving port (and DNS).
  const routerEgress = policies["mull-router"].egress;
  const [toPools] = routerEgress;
  assert.deepEqual(await selected(ns, toPools.to[0].podSelector.matchLabels), names(mathPods));
  assert.deepEqual(toPools.ports, [{ port: servingPort, protocol: "TCP" }]);
  assert.equal(routerEgress.length, 2, "pools and DNS only");
  assert.ok(routerEgress[1].ports.every((p: { port: number }) => p.port === 53));

  // The router's pools accept exactly the router pods; every pool accepts the calibration job
  // and the monitoring namespace; nobody else.
  const fromRouter = policies["mull-math-pools"].ingress;
  assert.equal(fromRouter.length, 1);
  assert.deepEqual(await selected(ns, fromRouter[0].from[0].podSelector.matchLabels), routerPods);
  assert.deepEqual(fromRouter[0].ports, [{ port: servingPort, protocol: "TCP" }]);
  const baseline = policies["mull-pools"].ingress;
  assert.equal(baseline.length, 1);
  assert.deepEqual(await selected(ns, baseline[0].from[0].podSelector.matchLabels), [
    "calibrate-math-0",
  ]);
  assert.deepEqual(baseline[0].from[1], monitoring);
  assert.equal(baseline[0].from.length, 2);

  // The router accepts gRPC from the release namespace only, metrics from monitoring.
  const routerIngress = policies["mull-router"].ingress;
  assert.deepEqual(routerIngress[0], {
    from: [{ podSelector: {} }],
    ports: [{ port: 50051, protocol: "TCP" }],
  });
  assert.deepEqual(routerIngress[1], {
    from: [monitoring],
    ports: [{ port: 9090, protocol: "TCP" }],
  });

  // The operator reaches the API server and DNS, nothing else; only monitoring scrapes it.
  const op = policies["mull-operator"];
  assert.deepEqual(op.policyTypes, ["Ingress", "Egress"]);
  assert.deepEqual(
    op.egress[0].ports.map((p: { port: number }) => p.port),
    [443, 6443],
  );
  assert.equal(op.egress.length, 2);
  assert.deepEqual(op.ingress, [{ from: [monitoring], ports: [{ port: 8080, protocol: "TCP" }] }]);

  // With nothing allowed, the pools' policy denies everything rather than allowing everybody.
  const closed = await render(ns, [
    "networkPolicy.enabled=true",
    "networkPolicy.pools.calibrationPodLabels=null",
  ]);
  assert.deepEqual(one(closed, "NetworkPolicy", "mull-pools").spec.ingress, []);
  const r = await helm(
    [
      "template",
      "mull",
      chart,
      "--set",
      "networkPolicy.enabled=true,router.enabled=true,router.policyConfigMap=cfg",
    ],
    { check: false },
  );
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /<policy>-router/);
});

test("chart: Grafana dashboard ConfigMaps for the sidecar; the PrometheusRule is the checked rules file", async (t) => {
  const ns = await namespace(t);
  await install(t, ns, [
    "dashboards.folderAnnotation=k8s-sidecar-target-directory",
    "dashboards.folder=/tmp/dashboards/Mull",
  ]);
  const cms = (
    await getJson<{ items: Manifest[] }>([
      "-n",
      ns,
      "get",
      "configmap",
      "-l",
      "grafana_dashboard=1",
    ])
  ).items;
  assert.deepEqual(
    cms.map((c) => c.metadata.name).sort(),
    ["efficiency", "fleet", "operator", "router"].map((n) => `mull-dashboard-${n}`),
  );
  for (const cm of cms) {
    const name = cm.metadata.name.replace("mull-dashboard-", "");
    assert.equal(cm.metadata.annotations?.["k8s-sidecar-target-directory"], "/tmp/dashboards/Mull");
    const generated = JSON.parse(readFileSync(join(chart, "dashboards", `${name}.json`), "utf8"));
    assert.deepEqual(JSON.parse(cm.data[`mull-${name}.json`]), generated, name);
    assert.equal(generated.uid, `mull-${name}`);
  }
  assert.deepEqual(
    await render(ns, ["dashboards.enabled=false"]).then((ms) =>
      ms.filter((m) => m.kind === "ConfigMap"),
    ),
    [],
  );
  const custom = await render(ns, [
    "dashboards.namespace=grafana",
    "dashboards.labels.team=ml",
    "dashboards.folderAnnotation=",
  ]);
  const router = one(custom, "ConfigMap", "mull-dashboard-router");
  assert.equal(router.metadata.namespace, "grafana");
  assert.equal(router.metadata.labels?.team, "ml");
  assert.equal(router.metadata.annotations, undefined);

  // PrometheusRule: off by default; on, its spec is the rules file promtool checks
  // (test/rules.test.ts), the scaling group included when the alert webhook is on.
  assert.equal((await render(ns, [])).filter((m) => m.kind === "PrometheusRule").length, 0);
  const rules = await render(ns, [
    "prometheusRule.enabled=true",
    "prometheusRule.labels.release=kube-prometheus-stack",
    "alerts.enabled=true",
    "alerts.auth.token=t",
  ]);
  const rule = one(rules, "PrometheusRule", "mull");
  assert.equal(rule.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(rule.metadata.labels?.release, "kube-prometheus-stack");
  const file = parse(readFileSync(join(chart, "rules/mull.rules.yaml"), "utf8"));
  assert.deepEqual(rule.spec, file);
  const withoutWebhook = one(
    await render(ns, ["prometheusRule.enabled=true"]),
    "PrometheusRule",
    "mull",
  );
  assert.deepEqual(
    withoutWebhook.spec.groups,
    file.groups.filter((g: { name: string }) => g.name !== "mull-scaling"),
  );
  const alerts = rule.spec.groups.flatMap((g: { rules: Array<{ alert: string }> }) =>
    g.rules.map((r) => r.alert),
  );
  // The real PrometheusRule schema takes it, and would refuse a broken one.
  await monitoringCrds();
  const applied = await kubectl(["apply", "--dry-run=server", "-n", ns, "-f", "-"], {
    input: stringify(rule),
  });
  assert.match(applied.stdout, /prometheusrule\.monitoring\.coreos\.com\/mull .*created/);
  const broken = structuredClone(rule);
  broken.spec.groups[0].rules[0].for = "five minutes";
  const refused = await kubectl(["apply", "--dry-run=server", "-n", ns, "-f", "-"], {
    input: stringify(broken),
    check: false,
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /spec\.groups\[0\]\.rules\[0\]\.for/);
  for (const a of [
    "MullOperatorNotLeading",
    "MullOperatorReconcileErrors",
    "MullPoolPodsPendingForGPUs",
    "MullRouterBackendErrors",
    "MullRouterAtCapacity",
  ]) {
    assert.ok(alerts.includes(a), a);
  }
});
