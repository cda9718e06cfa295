// Bringing the whole control plane up and down, in dependency order. up/down/status.ts are thin
// CLIs over this; the test fixture and the global setup call it in-process.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { requireBins } from "../bins.ts";
import { makePki, type Pki } from "./certs.ts";
import * as c from "./components.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { withLock } from "./lock.ts";
import { createNodes, DEFAULT_POOL, gpuConfigFromEnv, gpuNode, nodesReady } from "./nodes.ts";
import { freePortMap, HOST, isListening } from "./ports.ts";
import { type ClientTls, healthy } from "./probe.ts";
import { isRunning, type Started, startProcess, stopProcess, tailLog } from "./processes.ts";
import {
  type ClusterState,
  logDir,
  type Owner,
  readState,
  removeState,
  stateDir,
  writeState,
} from "./state.ts";
import { waitFor } from "./wait.ts";

export interface UpResult {
  state: ClusterState;
  /** False when a cluster was already running and has been reused. */
  started: boolean;
}

/** Starting the apiserver on 2 busy cores can take a while; this only bounds a broken start. */
const START_TIMEOUT_MS = 180_000;

export interface UpOptions {
  /** State directory (default: $MULL_E2E_STATE_DIR or <repo>/.e2e). */
  dir?: string;
  startedBy?: Owner;
}

/** Starts the cluster recorded under `dir`, or reuses it when it is running and healthy. */
export function clusterUp(opts: UpOptions = {}): Promise<UpResult> {
  const dir = opts.dir ?? stateDir();
  return withLock(join(dir, "cluster.lock"), async () => {
    const existing = readState(dir, "cluster");
    if (existing) {
      if (existing.ready && (await clusterHealthy(existing)))
        return { state: existing, started: false };
      // A crashed or half-started cluster: clear it away before starting afresh.
      await stopAll(existing);
      removeState(dir, "cluster");
    }
    requireBins([
      "etcd",
      "kubeApiserver",
      "kubeControllerManager",
      "kubeScheduler",
      "kwok",
      "kwokStages",
      "kubectl",
    ]);
    return { state: await start(dir, opts.startedBy ?? "cli"), started: true };
  });
}

async function start(dir: string, startedBy: Owner): Promise<ClusterState> {
  // Parsed first: a bad MULL_E2E_GPU_* value should fail before anything is started.
  const gpu = gpuConfigFromEnv();
  const logs = logDir(dir);
  const data = join(dir, "cluster");
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  const ports: c.Ports = await freePortMap([
    "etcdClient",
    "etcdPeer",
    "apiserver",
    "controllerManager",
    "scheduler",
    "kwok",
  ] as const);
  const pki = makePki(join(data, "pki"));
  const server = `https://${HOST}:${ports.apiserver}`;
  const kubeconfig = join(dir, "kubeconfig");
  writeKubeconfig(kubeconfig, server, pki);

  const state: ClusterState = {
    kind: "cluster",
    startedBy,
    kubeconfig,
    server,
    ports: { ...ports },
    processes: [],
    // The fixture points helm's cache/config/data homes here.
    dataDirs: [data, join(dir, "helm")],
    gpu,
    startedAt: new Date().toISOString(),
    ready: false,
  };
  // Recorded before anything starts, so cluster:down can clean up after a start that dies midway.
  writeState(dir, state);

  const launch = async (comp: c.Component): Promise<void> => {
    const p = startProcess(comp.name, comp.bin, comp.args, join(logs, `${comp.name}.log`));
    state.processes.push(p);
    writeState(dir, state);
    try {
      await waitFor(
        `${comp.name} at ${comp.health}`,
        () => healthy(comp.health, tlsFor(comp, pki)),
        {
          timeoutMs: START_TIMEOUT_MS,
          abort: () => (isRunning(p.pid, p.bin) ? undefined : `${comp.name} exited`),
        },
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n--- last lines of ${p.log} ---\n${tailLog(p.log)}\n---`,
      );
    }
  };

  try {
    await launch(c.etcd(join(data, "etcd"), ports));
    await launch(c.kubeApiserver(data, pki, ports));
    await launch(c.kubeControllerManager(data, kubeconfig, pki, ports));
    await launch(c.kubeScheduler(data, kubeconfig, ports));
    await launch(c.kwok(kubeconfig, ports));

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const names = Array.from({ length: state.gpu.nodes }, (_, i) => `gpu-node-${i}`);
    await createNodes(
      kc,
      names.map((name) =>
        gpuNode({
          name,
          pool: DEFAULT_POOL,
          gpus: state.gpu.gpusPerNode,
          product: state.gpu.product,
        }),
      ),
    );
    await waitFor("GPU nodes Ready", () => nodesReady(kc, names), { timeoutMs: START_TIMEOUT_MS });
    // Pods in "default" are rejected until the controller-manager has made its ServiceAccount.
    await waitFor("the default ServiceAccount", () => serviceAccountExists(kc, "default"), {
      timeoutMs: START_TIMEOUT_MS,
    });
  } catch (err) {
    // Leave only the logs, which say why.
    await stopAll(state).catch(() => {});
    rmSync(data, { recursive: true, force: true });
    rmSync(kubeconfig, { force: true });
    removeState(dir, "cluster");
    throw err;
  }
  state.ready = true;
  writeState(dir, state);
  return state;
}

function tlsFor(comp: c.Component, pki: Pki): ClientTls | undefined {
  if (comp.healthTls === "admin") return { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
  if (comp.healthTls === "insecure") return { insecure: true };
  return undefined;
}

async function serviceAccountExists(kc: KubeConfig, ns: string): Promise<boolean> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
  return true;
}

/** Every recorded process alive, and the apiserver ready. */
export async function clusterHealthy(s: ClusterState): Promise<boolean> {
  if (!s.processes.every((p) => isRunning(p.pid, p.bin))) return false;
  const pkiDir = join(s.dataDirs[0] ?? "", "pki");
  try {
    await healthy(`${s.server}/readyz`, {
      ca: join(pkiDir, "ca.crt"),
      cert: join(pkiDir, "admin.crt"),
      key: join(pkiDir, "admin.key"),
    });
    return true;
  } catch {
    return false;
  }
}

/** Stops in reverse start order, so clients go before the apiserver and etcd goes last. */
async function stopAll(s: { processes: Started[] }): Promise<void> {
  for (const p of [...s.processes].reverse()) await stopProcess(p);
}

export interface Leftovers {
  processes: Started[];
  ports: number[];
  paths: string[];
}

/** What of a recorded cluster still exists: running pids, listening ports, data on disk. */
export async function leftovers(
  s: ClusterState | { processes: Started[]; ports: Record<string, number>; dataDirs: string[] },
): Promise<Leftovers> {
  const ports: number[] = [];
  for (const port of Object.values(s.ports)) if (await isListening(port)) ports.push(port);
  return {
    processes: s.processes.filter((p) => isRunning(p.pid, p.bin)),
    ports,
    paths: s.dataDirs.filter((d) => existsSync(d)),
  };
}

export function describeLeftovers(l: Leftovers): string | undefined {
  const parts = [
    ...l.processes.map((p) => `${p.name} still running (pid ${p.pid})`),
    ...l.ports.map((port) => `port ${port} still listening`),
    ...l.paths.map((d) => `${d} not removed`),
  ];
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/**
 * Stops every recorded process by pid, removes data directories and the state file, then checks
 * that nothing is left; throws listing the leftovers otherwise. Returns false if nothing was up.
 */
export function clusterDown(dir = stateDir()): Promise<boolean> {
  return withLock(join(dir, "cluster.lock"), async () => {
    const s = readState(dir, "cluster");
    if (!s) return false;
    await stopAll(s);
    for (const d of s.dataDirs) rmSync(d, { recursive: true, force: true });
    rmSync(s.kubeconfig, { force: true });
    const left = describeLeftovers(await leftovers(s));
    if (left) throw new Error(`cluster:down left things behind: ${left}`);
    removeState(dir, "cluster");
    return true;
  });
}
