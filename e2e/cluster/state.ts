// Where a running cluster (and nats-server) is recorded. The state file is what lets a second
// cluster:up reuse the cluster, and cluster:down stop exactly the pids it started.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Started } from "./processes.ts";

export const repoRoot: string = fileURLToPath(new URL("../..", import.meta.url));

/** $MULL_E2E_STATE_DIR, default <repo>/.e2e (git-ignored): kubeconfig, logs, data, state files. */
export function stateDir(): string {
  return process.env.MULL_E2E_STATE_DIR || join(repoRoot, ".e2e");
}

export interface GpuNodeConfig {
  nodes: number;
  gpusPerNode: number;
  product: string;
}

/** Who started a cluster or nats-server: only a fixture-started one is stopped by the fixture. */
export type Owner = "cli" | "global-setup" | "fixture";

export interface ClusterState {
  kind: "cluster";
  startedBy: Owner;
  kubeconfig: string;
  server: string;
  ports: Record<string, number>;
  processes: Started[];
  /** Directories cluster:down deletes (etcd data, PKI, component scratch). */
  dataDirs: string[];
  gpu: GpuNodeConfig;
  startedAt: string;
  /** Still false while cluster:up runs; a state left false means a start that died midway. */
  ready: boolean;
}

export interface NatsState {
  kind: "nats";
  startedBy: Owner;
  url: string;
  port: number;
  monitorPort: number;
  processes: Started[];
  dataDirs: string[];
  startedAt: string;
  ready: boolean;
}

export type AnyState = ClusterState | NatsState;

export function statePath(dir: string, kind: AnyState["kind"]): string {
  return join(dir, `${kind}.json`);
}

export function readState<K extends AnyState["kind"]>(
  dir: string,
  kind: K,
): Extract<AnyState, { kind: K }> | undefined {
  const p = statePath(dir, kind);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, "utf8")) as Extract<AnyState, { kind: K }>;
}

/** Atomic write, so a reader never sees half a file. */
export function writeState(dir: string, state: AnyState): void {
  mkdirSync(dir, { recursive: true });
  const p = statePath(dir, state.kind);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${p}.tmp`, p);
}

export function removeState(dir: string, kind: AnyState["kind"]): void {
  rmSync(statePath(dir, kind), { force: true });
}

export function logDir(dir: string): string {
  const d = join(dir, "logs");
  mkdirSync(d, { recursive: true });
  return d;
}
