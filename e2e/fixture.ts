// The e2e test fixture: a real control plane (started, or reused when already up), a fresh
// namespace per test, private GPU node pools, and the built kubectl/helm. Usage:
//
//   import { test } from "node:test";
//   import { cluster, namespace, gpuPool, kubectl } from "../fixture.ts";
//
//   test("something", async (t) => {
//     const c = await cluster();            // { kubeConfig, kubeconfig, bins, ... }
//     const ns = await namespace(t);        // deleted after the test
//     const pool = await gpuPool(t, { nodes: 1, gpusPerNode: 8 }); // nodes only this test uses
//     await kubectl(["-n", ns, "apply", "-f", "x.yaml"]);
//   });
//
// Under `npm test` the global setup (e2e/global-setup.ts) has started everything already. Run
// alone, the first cluster() call starts the cluster and the last test process using it stops it
// on exit, unless it was already running (`npm run cluster:up` keeps it up between runs).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { CoreV1Api, KubeConfig, type V1Toleration } from "@kubernetes/client-node";
import { bins } from "./bins.ts";
import { clusterDown, clusterUp } from "./cluster/cluster.ts";
import { withLock } from "./cluster/lock.ts";
import {
  createNodes,
  deleteNodes,
  GPU_RESOURCE,
  gpuNode,
  nodesReady,
  POOL_LABEL,
} from "./cluster/nodes.ts";
import { type GpuNodeConfig, type Owner, stateDir } from "./cluster/state.ts";
import { waitFor } from "./cluster/wait.ts";
import { natsDown, natsUp } from "./nats/nats.ts";

export { bins, versions } from "./bins.ts";
export { GPU_RESOURCE, POOL_LABEL } from "./cluster/nodes.ts";
export { type WaitOptions, waitFor } from "./cluster/wait.ts";

export interface Cluster {
  /** Path of the admin kubeconfig (also exported as KUBECONFIG to kubectl/helm run via here). */
  kubeconfig: string;
  /** A client-node KubeConfig loaded from it: `cluster().kubeConfig.makeApiClient(CoreV1Api)`. */
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The shared pool cluster:up created (label mull.dev/e2e-pool=default, no taint). */
  gpu: GpuNodeConfig;
  /** Paths of the built binaries: kubectl, helm, grpcurl, nats-server, ... */
  bins: typeof bins;
}

let clusterPromise: Promise<Cluster> | undefined;

/** The running e2e cluster, started on first use if needed. Cached per process. */
export function cluster(): Promise<Cluster> {
  clusterPromise ??= (async () => {
    const { state } = await clusterUp({ startedBy: "fixture" });
    registerUser("cluster", state.startedBy);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(state.kubeconfig);
    return { kubeconfig: state.kubeconfig, kubeConfig, server: state.server, gpu: state.gpu, bins };
  })();
  return clusterPromise;
}

// Processes using a fixture-started cluster (or nats-server) register here; the last to exit stops
// it, so a lone `node --test e2e/tests/x.test.ts` leaves nothing running, and two such files
// don't pull it from under each other. Anything started by cluster:up or the global setup is
// left alone.
type Service = "cluster" | "nats";

function usersDir(kind: Service): string {
  return join(stateDir(), `${kind}-users`);
}

function registerUser(kind: Service, startedBy: Owner): void {
  if (startedBy !== "fixture") return;
  mkdirSync(usersDir(kind), { recursive: true });
  writeFileSync(join(usersDir(kind), String(process.pid)), "");
  process.once("beforeExit", () => {
    void releaseUser(kind);
  });
}

async function releaseUser(kind: Service): Promise<void> {
  await withLock(join(stateDir(), `${kind}-users.lock`), async () => {
    const dir = usersDir(kind);
    rmSync(join(dir, String(process.pid)), { force: true });
    const others = readdirSync(dir).filter((pid) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    });
    if (others.length > 0) return;
    rmSync(dir, { recursive: true, force: true });
    await (kind === "cluster" ? clusterDown() : natsDown());
  });
}

let natsPromise: Promise<{ url: string }> | undefined;

/** The running nats-server (JetStream on), started on first use if needed: `{ url }`. */
export function nats(): Promise<{ url: string }> {
  natsPromise ??= (async () => {
    const { state } = await natsUp({ startedBy: "fixture" });
    registerUser("nats", state.startedBy);
    return { url: state.url };
  })();
  return natsPromise;
}

function slug(s: string, max: number): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, max)
      .replace(/-+$/, "") || "t"
  );
}

/**
 * Creates a namespace named after the test (plus a random suffix), waits until pods can be created
 * in it (its default ServiceAccount exists), and deletes it when the test ends.
 */
export async function namespace(t: TestContext): Promise<string> {
  const c = await cluster();
  const core = c.kubeConfig.makeApiClient(CoreV1Api);
  const name = `e2e-${slug(t.name, 40)}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({
    body: { metadata: { name, labels: { "mull.dev/e2e": "true" } } },
  });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch(() => {});
  });
  await waitFor(`ServiceAccount default in ${name}`, async () => {
    await core.readNamespacedServiceAccount({ name: "default", namespace: name });
    return true;
  });
  return name;
}

export interface GpuPool {
  /** Pool name, the value of the mull.dev/e2e-pool label and taint on its nodes. */
  name: string;
  nodes: string[];
  gpusPerNode: number;
  /** Put these in a pod spec to land on (only) this pool. */
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
}

/**
 * GPU nodes only this test uses: labelled and tainted with its own pool name, so concurrent tests
 * never compete for GPUs. Deleted when the test ends.
 */
export async function gpuPool(
  t: TestContext,
  opts: { nodes: number; gpusPerNode: number; product?: string },
): Promise<GpuPool> {
  const c = await cluster();
  const name = `p-${slug(t.name, 30)}-${randomBytes(3).toString("hex")}`;
  const nodes = Array.from({ length: opts.nodes }, (_, i) => `${name}-${i}`);
  const taint = { key: POOL_LABEL, value: name, effect: "NoSchedule" };
  t.after(() => deleteNodes(c.kubeConfig, nodes));
  await createNodes(
    c.kubeConfig,
    nodes.map((n) =>
      gpuNode({
        name: n,
        pool: name,
        gpus: opts.gpusPerNode,
        product: opts.product ?? c.gpu.product,
        taints: [taint],
      }),
    ),
  );
  await waitFor(`GPU pool ${name} Ready`, () => nodesReady(c.kubeConfig, nodes));
  return {
    name,
    nodes,
    gpusPerNode: opts.gpusPerNode,
    nodeSelector: { [POOL_LABEL]: name },
    tolerations: [{ ...taint, operator: "Equal" }],
  };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the process's stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
}

/** Runs a binary with KUBECONFIG pointing at the e2e cluster. */
export async function run(
  bin: string,
  args: string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const c = await cluster();
  const helmHome = join(stateDir(), "helm");
  const env = {
    ...process.env,
    KUBECONFIG: c.kubeconfig,
    // Keep helm's repositories and cache out of the developer's home.
    HELM_CACHE_HOME: join(helmHome, "cache"),
    HELM_CONFIG_HOME: join(helmHome, "config"),
    HELM_DATA_HOME: join(helmHome, "data"),
  };
  const result = await new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
  if ((opts.check ?? true) && result.code !== 0) {
    throw new Error(`${bin} ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result;
}

/** The built kubectl (same release as the apiserver) against the e2e cluster. */
export function kubectl(args: string[], opts?: ExecOptions): Promise<ExecResult> {
  return run(bins.kubectl, args, opts);
}

/**
 * The built helm against the e2e cluster. A `--wait` that times out says why: the namespace's
 * pods and events and the nodes' conditions and taints are added to the error.
 */
export async function helm(args: string[], opts?: ExecOptions): Promise<ExecResult> {
  try {
    return await run(bins.helm, args, opts);
  } catch (err) {
    if (!args.includes("--wait")) throw err;
    const ns = args[args.indexOf("--namespace") + 1] ?? "default";
    throw new Error(`${(err as Error).message}\n${await clusterDiagnostics(ns)}`);
  }
}

/** What a stuck rollout needs to be explained: pods, events, nodes. Never throws. */
export async function clusterDiagnostics(ns: string): Promise<string> {
  const show = async (args: string[]) => {
    const r = await kubectl(args, { check: false }).catch((e: Error) => ({
      code: -1,
      stdout: "",
      stderr: e.message,
    }));
    return `--- kubectl ${args.join(" ")}\n${r.stdout}${r.stderr}`;
  };
  const nodeTemplate =
    '{range .items[*]}{.metadata.name} ready={.status.conditions[?(@.type=="Ready")].status} taints={.spec.taints} unschedulable={.spec.unschedulable}{"\\n"}{end}';
  return [
    await show(["get", "pods,replicasets,deployments", "-n", ns, "-o", "wide"]),
    await show(["get", "events", "-n", ns, "--sort-by=.lastTimestamp"]),
    await show(["get", "nodes", "-o", `jsonpath=${nodeTemplate}`]),
  ].join("\n");
}

const crdsApplied = new Map<string, Promise<void>>();

/**
 * `kubectl apply --server-side` of CRD files, once per process for the same files, then waits
 * until the API server serves every CRD named.
 */
export function applyCrds(files: string[], names: string[]): Promise<void> {
  const key = files.join("\0");
  let applied = crdsApplied.get(key);
  if (!applied) {
    applied = (async () => {
      for (const file of files) {
        await kubectl(["apply", "--server-side", "--force-conflicts", "-f", file]);
      }
      // Polled rather than `kubectl wait`: that fails outright when it reads a CRD whose
      // status has no conditions yet, which a freshly created CRD can show.
      await waitFor(
        `CRDs ${names.join(", ")} Established`,
        async () => {
          const r = await kubectl(["get", ...names.map((n) => `crd/${n}`), "-o", "json"], {
            check: false,
          });
          if (r.code !== 0) return undefined;
          const doc = JSON.parse(r.stdout) as {
            items?: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
          };
          const items = doc.items ?? [doc as never];
          return items.length === names.length &&
            items.every((c) =>
              (c.status?.conditions ?? []).some(
                (x) => x.type === "Established" && x.status === "True",
              ),
            )
            ? true
            : undefined;
        },
        { timeoutMs: 120_000 },
      );
    })();
    crdsApplied.set(key, applied);
  }
  return applied;
}

/**
 * prometheus-operator's ServiceMonitor, PodMonitor and PrometheusRule CRDs in the shared cluster
 * (built by e2e/build.sh from its API module), so that the chart's monitors and rules are checked
 * by the real schemas; harmless to the tests that do not use them.
 */
export function monitoringCrds(): Promise<void> {
  return applyCrds(
    [bins.serviceMonitorCrd, bins.podMonitorCrd, bins.prometheusRuleCrd],
    ["servicemonitors", "podmonitors", "prometheusrules"].map((k) => `${k}.monitoring.coreos.com`),
  );
}

/** Sum of a resource over a pod's containers' requests, e.g. podRequest(pod, GPU_RESOURCE). */
export function podRequest(
  pod: { spec?: { containers: { resources?: { requests?: Record<string, string> } }[] } },
  resource: string = GPU_RESOURCE,
): number {
  return (pod.spec?.containers ?? []).reduce(
    (n, ctr) => n + Number(ctr.resources?.requests?.[resource] ?? 0),
    0,
  );
}
