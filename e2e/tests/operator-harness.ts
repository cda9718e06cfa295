// Shared pieces of the operator e2e tests: the CRD, policy manifests pinned to a test's private
// GPU pool, the operator as a real child process (`node bin/mull.ts operator`), its metrics, and
// a private kube-apiserver (same etcd) that one test can restart without disturbing the others.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { freePort } from "../cluster/ports.ts";
import { logDir, readState, repoRoot as repo, stateDir } from "../cluster/state.ts";
import { applyCrds, cluster, type GpuPool, kubectl, waitFor } from "../fixture.ts";

const node = join(repo, "node_modules/.bin/node");
export const crdDir = join(repo, "crds");
export const examplePolicyFile = join(repo, "examples/policy.yaml");

let crdReady: Promise<void> | undefined;
/** `kubectl apply --server-side -f crds/`, once per process, then waits until it is served. */
export function installCrd(): Promise<void> {
  crdReady ??= (async () => {
    await applyCrds([crdDir], ["testtimepolicies.mull.dev"]);
    await waitFor("kubectl to know TestTimePolicy", () =>
      kubectl(["get", "ttp", "-A", "-o", "name"]),
    );
  })();
  return crdReady;
}

// biome-ignore lint/suspicious/noExplicitAny: a YAML document edited freely by tests
export type PolicyDoc = any;

/** The example policy, pinned to `pool` (nodeSelector + tolerations), optionally edited. */
export function policyDoc(
  name: string,
  pool: GpuPool | undefined,
  edit: (doc: PolicyDoc) => void = () => {},
): PolicyDoc {
  const doc = parse(readFileSync(examplePolicyFile, "utf8"));
  doc.metadata.name = name;
  if (pool) {
    for (const role of ["proposer", "verifier"]) {
      doc.spec[role].nodeSelector = pool.nodeSelector;
      doc.spec[role].tolerations = pool.tolerations;
    }
  }
  edit(doc);
  return doc;
}

export async function applyDoc(ns: string, doc: PolicyDoc): Promise<void> {
  await kubectl(["-n", ns, "apply", "-f", "-"], { input: stringify(doc) });
}

export async function getJson<T = PolicyDoc>(args: string[]): Promise<T> {
  const r = await kubectl([...args, "-o", "json"]);
  return JSON.parse(r.stdout) as T;
}

export function condition(policy: PolicyDoc, type: string): PolicyDoc | undefined {
  return (policy?.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

/** Waits until the policy reports Ready=True for its current generation. */
export function waitReady(ns: string, name: string, timeoutMs = 120_000): Promise<PolicyDoc> {
  return waitFor(
    `policy ${ns}/${name} Ready`,
    async () => {
      const p = await getJson(["-n", ns, "get", "ttp", name]);
      const ready = condition(p, "Ready");
      return ready?.status === "True" && p.status.observedGeneration === p.metadata.generation
        ? p
        : undefined;
    },
    { timeoutMs },
  );
}

export interface OperatorProcess {
  child: ChildProcess;
  identity: string;
  port: number;
  logs: () => string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
  isRunning: () => boolean;
  metric: (name: string, labels?: Record<string, string>) => Promise<number>;
  /** Lines of the JSON log whose msg matches. */
  logged: (msg: string) => number;
}

export interface OperatorOptions {
  namespace?: string;
  identity?: string;
  kubeconfig?: string;
  leaseName?: string;
  leaseNamespace?: string;
  args?: string[];
}

/** Starts `node bin/mull.ts operator` against the e2e cluster; SIGKILLed after the test. */
export async function startOperator(
  t: Pick<TestContext, "after">,
  o: OperatorOptions = {},
): Promise<OperatorProcess> {
  const c = await cluster();
  const identity = o.identity ?? `op-${Math.random().toString(16).slice(2, 8)}`;
  const args = [
    join(repo, "bin/mull.ts"),
    "operator",
    `--kubeconfig=${o.kubeconfig ?? c.kubeconfig}`,
    `--identity=${identity}`,
    "--metrics-port=0",
    "--bind-address=127.0.0.1",
    "--lease-duration=6",
    "--renew-deadline=4",
    "--retry-period=1",
    ...(o.namespace ? [`--namespace=${o.namespace}`] : []),
    ...(o.leaseName ? [`--lease-name=${o.leaseName}`] : []),
    `--lease-namespace=${o.leaseNamespace ?? o.namespace ?? "default"}`,
    ...(o.args ?? []),
  ];
  const child = spawn(node, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      running = false;
      resolve(code ?? signal ?? -1);
    });
  });
  t.after(async () => {
    if (running) {
      child.kill("SIGKILL");
      await exited;
    }
    // Kept for post-mortems, beside the control plane's own logs.
    writeFileSync(join(logDir(stateDir()), `operator-${identity}.log`), out);
  });
  const lines = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as { msg?: string; port?: number };
        } catch {
          return {};
        }
      });
  const port = await waitFor(
    `operator ${identity} to serve`,
    () => lines().find((l) => l.msg === "serving")?.port,
    { abort: () => (running ? undefined : `operator exited:\n${out}`) },
  );
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
      if (ok) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return sum;
  };
  return {
    child,
    identity,
    port,
    logs: () => out,
    exited,
    isRunning: () => running,
    metric,
    logged: (msg) => lines().filter((l) => l.msg === msg).length,
  };
}

export interface PrivateApiserver {
  kubeconfig: string;
  restart: () => Promise<void>;
  /**
   * Stops it and leaves it down until `start`: SIGTERM (a graceful stop, which may take seconds
   * while it drains watches) or SIGKILL (gone at once, every connection refused from then on).
   */
  stop: (signal?: "SIGTERM" | "SIGKILL") => Promise<void>;
  /** Freezes it (SIGSTOP): connections are accepted but nothing is answered, until `resume`. */
  pause: () => void;
  resume: () => void;
  /** Starts it again and waits until it is ready. */
  start: () => Promise<void>;
}

/**
 * A second kube-apiserver on the same etcd (how HA control planes run), with the shared one's
 * flags but its own port. Restarting it exercises the operator's recovery without pulling the API
 * server from under tests that run in parallel.
 */
export async function privateApiserver(t: TestContext): Promise<PrivateApiserver> {
  const c = await cluster();
  const state = readState(stateDir(), "cluster");
  if (!state) throw new Error("no cluster state: is the e2e cluster up?");
  const shared = state.processes.find((p) => p.name === "kube-apiserver");
  if (!shared) throw new Error("no kube-apiserver in the cluster state");
  const sharedArgs = readFileSync(`/proc/${shared.pid}/cmdline`, "utf8")
    .split("\0")
    .filter(Boolean);
  const bin = sharedArgs[0] as string;
  const port = await freePort();
  const args = sharedArgs
    .slice(1)
    .map((a) => (a.startsWith("--secure-port=") ? `--secure-port=${port}` : a));
  let child: ChildProcess | undefined;
  const start = () => {
    child = spawn(bin, args, { stdio: ["ignore", "ignore", "ignore"] });
  };
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const ch = child;
    if (!ch || ch.exitCode !== null || ch.signalCode !== null) return;
    const gone = new Promise((r) => ch.once("exit", r));
    // A frozen process does not act on SIGTERM.
    ch.kill("SIGCONT");
    ch.kill(signal);
    const timer = setTimeout(() => ch.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  };
  t.after(() => stop());

  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  const server = `https://127.0.0.1:${port}`;
  const raw = parse(readFileSync(c.kubeconfig, "utf8"));
  for (const cl of raw.clusters ?? []) cl.cluster.server = server;
  // Admin credentials: kept in the harness's state directory and removed with the test.
  const kubeconfig = join(stateDir(), `private-apiserver-${port}.kubeconfig`);
  writeFileSync(kubeconfig, stringify(raw));
  t.after(() => rmSync(kubeconfig, { force: true }));

  const healthy = () =>
    waitFor(
      "private kube-apiserver ready",
      async () => {
        const r = await kubectl(["--server", server, "get", "--raw", "/readyz"], { check: false });
        return r.code === 0;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  start();
  await healthy();
  return {
    kubeconfig,
    restart: async () => {
      await stop();
      start();
      await healthy();
    },
    stop,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    start: async () => {
      start();
      await healthy();
    },
  };
}
