// `mull bench operator`: the operator on the real e2e control plane.
// - cold reconcile: N policies x B bins (2 pools each) created while the operator is down, then
//   the time from its start until every Deployment exists and every policy has a status;
// - baseline, same run: `kubectl apply --server-side` of the very same objects, so the figure is
//   a ratio (operator time per Deployment vs a plain apply per Deployment);
// - writes issued by a no-op resync (should be 0);
// - the operator's peak RSS (VmHWM), with the heap cap the chart gives the operator.
// Pools run 0 replicas and 0 GPUs: this measures the operator and the API server, not kwok pods.
// `--profile DIR` runs the operator with --cpu-prof and --heap-prof into DIR.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AppsV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { parse, parseAllDocuments, stringify } from "yaml";
import { desiredState } from "../controller/desired/state.ts";
import { defaultedSpec } from "../controller/policy/defaults.ts";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import { freePort, isListening } from "../e2e/cluster/ports.ts";
import { cluster, helm, kubectl, waitFor } from "../e2e/fixture.ts";
import { summarizeProfiles } from "./profile-summary.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));

function policy(
  name: string,
  bins: number,
): { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown } {
  const doc = parse(readFileSync(join(repo, "examples/policy.yaml"), "utf8"));
  const template = doc.spec.bins[0];
  return {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    metadata: { name },
    spec: {
      ...doc.spec,
      proposer: { ...doc.spec.proposer, gpus: 0 },
      verifier: { ...doc.spec.verifier, gpus: 0 },
      difficulty: { bins },
      budget: { ...doc.spec.budget, gpus: 1 },
      bins: Array.from({ length: bins }, (_, i) => ({
        ...template,
        bin: i + 1,
        proposer: { minReplicas: 0, maxReplicas: 1 },
        verifier: { minReplicas: 0, maxReplicas: 1 },
      })),
    },
  };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** The sum of a metric's series, or of those whose labels include `labels` (e.g. `verb="apply"`). */
async function metric(port: number, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => l.slice(0, l.lastIndexOf(" ")).includes(labels))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

// The heap cap the chart's operator Deployment runs with (derived there from its memory limit),
// read from the rendered chart so the bench measures what ships.
async function chartHeapFlag(): Promise<string | undefined> {
  const rendered = (await helm(["template", "mull", join(repo, "charts/mull")])).stdout;
  const operator = parseAllDocuments(rendered)
    .map((d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: unknown } } } | null)
    .find(
      (d) =>
        d?.kind === "Deployment" &&
        JSON.stringify(d.spec?.template?.spec ?? {}).includes('"name":"operator"'),
    );
  if (!operator) throw new Error("helm template charts/mull rendered no operator Deployment");
  return /--max-old-space-size=\d+/.exec(JSON.stringify(operator))?.[0];
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policies: { type: "string", default: "200" },
      bins: { type: "string", default: "5" },
      "max-old-space-size": { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: mull bench operator [--policies 200] [--bins 5] [--max-old-space-size MB] [--profile DIR]\n" +
        "  heap cap: the chart's operator --max-old-space-size unless given; --profile writes\n" +
        "  the operator's --cpu-prof and --heap-prof files into DIR\n" +
        "(needs the e2e control plane: npm run cluster:up)\n",
    );
    return 0;
  }
  const n = Number(values.policies);
  const bins = Number(values.bins);
  const deployments = n * bins * 2;
  const c = await cluster();
  const heapFlag = values["max-old-space-size"]
    ? `--max-old-space-size=${values["max-old-space-size"]}`
    : await chartHeapFlag();
  const profileFlags = values.profile
    ? [
        "--cpu-prof",
        `--cpu-prof-dir=${values.profile}`,
        "--heap-prof",
        `--heap-prof-dir=${values.profile}`,
      ]
    : [];
  const suffix = Date.now().toString(36);
  const nsOp = `bench-operator-${suffix}`;
  const nsBase = `bench-baseline-${suffix}`;
  const docs = Array.from({ length: n }, (_, i) => policy(`p${i}`, bins));
  let op: ChildProcess | undefined;
  try {
    await kubectl(["apply", "--server-side", "--force-conflicts", "-f", join(repo, "crds")]);
    await kubectl(["wait", "--for=condition=Established", "crd/testtimepolicies.mull.dev"]);
    await kubectl(["create", "namespace", nsOp]);
    await kubectl(["create", "namespace", nsBase]);
    await waitFor("ServiceAccount default", () =>
      kubectl(["-n", nsBase, "get", "serviceaccount", "default"]),
    );

    // Baseline: the same Deployments, Services and ConfigMaps through one kubectl apply, without
    // owner references or our labels (so neither the GC nor the operator touches them).
    const objects = docs.flatMap((d) => {
      const p: TestTimePolicy = {
        apiVersion: d.apiVersion,
        kind: d.kind,
        metadata: { name: d.metadata.name, namespace: nsBase, uid: "baseline", generation: 1 },
        spec: defaultedSpec(d.spec),
      };
      return desiredState(p).objects.map((o) => {
        const m = { ...o.metadata };
        delete m.ownerReferences;
        m.labels = { ...m.labels, "app.kubernetes.io/managed-by": "bench-baseline" };
        return { ...o, metadata: m };
      });
    });
    const t0 = performance.now();
    await kubectl(["-n", nsBase, "apply", "--server-side", "-f", "-"], {
      input: objects.map((o) => stringify(o)).join("---\n"),
    });
    const baselineMs = performance.now() - t0;
    const apps = c.kubeConfig.makeApiClient(AppsV1Api);
    const allObserved = async (namespace: string) =>
      (await apps.listNamespacedDeployment({ namespace })).items.every(
        (d) => (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1),
      );
    // The controller-manager's work on the baseline (a ReplicaSet and a status per Deployment)
    // is finished before the operator starts, so the operator's run does not pay for it.
    await waitFor("the controller-manager to observe the baseline", () => allObserved(nsBase), {
      timeoutMs: 600_000,
      intervalMs: 2000,
    });

    // The policies, created while no operator runs.
    await kubectl(["-n", nsOp, "apply", "--server-side", "-f", "-"], {
      input: docs.map((d) => stringify(d)).join("---\n"),
    });
    const custom = c.kubeConfig.makeApiClient(CustomObjectsApi);

    // A fixed port rather than one read from the logs: the operator logs at warn here, so that
    // logging does not weigh on what is measured.
    const port = await freePort();
    const start = performance.now();
    op = spawn(
      join(repo, "node_modules/.bin/node"),
      [
        ...(heapFlag ? [heapFlag] : []),
        ...profileFlags,
        join(repo, "bin/mull.ts"),
        "operator",
        `--kubeconfig=${c.kubeconfig}`,
        `--namespace=${nsOp}`,
        "--leader-elect=false",
        `--metrics-port=${port}`,
        "--bind-address=127.0.0.1",
        "--resync-period=10",
        "--concurrency=8",
        "--log-level=warn",
      ],
      { stdio: ["ignore", process.stderr, "inherit"] },
    );
    await waitFor("operator metrics port", async () =>
      (await isListening(port)) ? true : undefined,
    );
    await waitFor(
      `${deployments} Deployments and ${n} statuses`,
      async () => {
        // A one-item page says how many there are (remainingItemCount) without the API server
        // serialising thousands of Deployments every second of the operator's run.
        const page = await apps.listNamespacedDeployment({ namespace: nsOp, limit: 1 });
        const count = page.items.length + (page.metadata?.remainingItemCount ?? 0);
        if (count < deployments) return undefined;
        const list = (await custom.listNamespacedCustomObject({
          group: "mull.dev",
          version: "v1alpha1",
          namespace: nsOp,
          plural: "testtimepolicies",
        })) as { items: Array<{ status?: { observedGeneration?: number } }> };
        return list.items.every((p) => p.status?.observedGeneration) ? true : undefined;
      },
      { timeoutMs: 1_800_000, intervalMs: 1000 },
    );
    const coldMs = performance.now() - start;
    const coldWrites = {
      apply: await metric(port, "mull_operator_writes_total", 'verb="apply"'),
      status: await metric(port, "mull_operator_writes_total", 'verb="status"'),
      event: await metric(port, "mull_operator_writes_total", 'kind="Event"'),
    };

    // The world settles: the controller-manager has observed every Deployment (each of its
    // status updates may move a policy's status), the queue is empty and no write happened for
    // longer than the operator defers a status write. Then count writes across one full resync.
    await waitFor("the controller-manager to observe every Deployment", () => allObserved(nsOp), {
      timeoutMs: 600_000,
      intervalMs: 5000,
    });
    await waitFor(
      "writes to settle",
      async () => {
        const before = await metric(port, "mull_operator_writes_total");
        await new Promise((r) => setTimeout(r, 10_000));
        return (await metric(port, "mull_operator_writes_total")) === before &&
          (await metric(port, "mull_operator_queue_depth")) === 0
          ? true
          : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 0 },
    );
    const writesBefore = await metric(port, "mull_operator_writes_total");
    const reconcilesBefore = await metric(port, "mull_operator_reconciles_total");
    await waitFor(
      "a full resync",
      async () => (await metric(port, "mull_operator_reconciles_total")) >= reconcilesBefore + n,
      { timeoutMs: 600_000, intervalMs: 1000 },
    );
    const noopWrites = (await metric(port, "mull_operator_writes_total")) - writesBefore;
    const noopByVerb = (await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))
      .split("\n")
      .filter((l) => l.startsWith("mull_operator_writes_total{"))
      .join("; ");
    const rss = peakRssMb(op.pid as number);

    const perDeployment = coldMs / deployments;
    const basePerDeployment = baselineMs / deployments;
    const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(44)} ${v}\n`);
    line("policies x bins x roles", `${n} x ${bins} x 2 = ${deployments} Deployments`);
    line(
      "operator cold reconcile",
      `${(coldMs / 1000).toFixed(1)} s (${perDeployment.toFixed(2)} ms/Deployment)`,
    );
    line(
      "baseline kubectl apply --server-side",
      `${(baselineMs / 1000).toFixed(1)} s (${basePerDeployment.toFixed(2)} ms/Deployment, same objects)`,
    );
    line(
      "ratio operator / baseline",
      `${(perDeployment / basePerDeployment).toFixed(2)}x (goal <= 1.5x)`,
    );
    line(
      "writes until reconciled (minimum)",
      `apply ${coldWrites.apply} (${objects.length}), status ${coldWrites.status} (${n}), Event ${coldWrites.event} (${n})`,
    );
    line("writes during a no-op resync", `${noopWrites} (goal 0)`);
    if (noopWrites > 0) line("all writes by verb and kind", noopByVerb);
    line(
      "operator heap cap",
      heapFlag
        ? `${heapFlag}${values["max-old-space-size"] ? "" : " (the chart's)"}`
        : "none: the chart sets no --max-old-space-size, so Node's default",
    );
    line(
      "operator peak RSS",
      `${rss.toFixed(0)} MiB = ${((rss * 2 ** 20) / 1e6).toFixed(0)} MB (goal <= 150 MB)`,
    );
    return noopWrites === 0 ? 0 : 1;
  } finally {
    // Wait for the exit: that is when --cpu-prof and --heap-prof write their files.
    if (op && op.exitCode === null) {
      const exited = new Promise((r) => op?.once("exit", r));
      op.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    await kubectl(["delete", "namespace", nsOp, nsBase, "--wait=false"], { check: false });
    if (values.profile) process.stdout.write(summarizeProfiles(values.profile));
  }
}
