// A nats-server (with JetStream, which the fleet bus's KV needs) on loopback, started and stopped
// like the cluster: detached, recorded by pid in the state directory, reused while it runs.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bins, requireBins } from "../bins.ts";
import { withLock } from "../cluster/lock.ts";
import { freePortMap, HOST, isListening } from "../cluster/ports.ts";
import { healthy } from "../cluster/probe.ts";
import { isRunning, startProcess, stopProcess, tailLog } from "../cluster/processes.ts";
import {
  logDir,
  type NatsState,
  type Owner,
  readState,
  removeState,
  stateDir,
  writeState,
} from "../cluster/state.ts";
import { waitFor } from "../cluster/wait.ts";

export interface NatsUpResult {
  state: NatsState;
  started: boolean;
}

export interface NatsUpOptions {
  dir?: string;
  startedBy?: Owner;
}

export function natsUp(opts: NatsUpOptions = {}): Promise<NatsUpResult> {
  const dir = opts.dir ?? stateDir();
  return withLock(join(dir, "nats.lock"), async () => {
    const existing = readState(dir, "nats");
    if (existing) {
      if (existing.ready && (await natsHealthy(existing)))
        return { state: existing, started: false };
      for (const p of existing.processes) await stopProcess(p);
      removeState(dir, "nats");
    }
    requireBins(["natsServer"]);
    const { port, monitorPort } = await freePortMap(["port", "monitorPort"] as const);
    const data = join(dir, "nats");
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data, { recursive: true });
    const state: NatsState = {
      kind: "nats",
      startedBy: opts.startedBy ?? "cli",
      url: `nats://${HOST}:${port}`,
      port,
      monitorPort,
      processes: [],
      dataDirs: [data],
      startedAt: new Date().toISOString(),
      ready: false,
    };
    const args = [
      `--addr=${HOST}`,
      `--port=${port}`,
      `--http_port=${monitorPort}`,
      "--jetstream",
      `--store_dir=${data}`,
      "--server_name=mull-e2e",
    ];
    const p = startProcess(
      "nats-server",
      bins.natsServer,
      args,
      join(logDir(dir), "nats-server.log"),
    );
    state.processes.push(p);
    writeState(dir, state);
    try {
      // /healthz answers 200 only once JetStream is ready too.
      await waitFor("nats-server /healthz", () => healthy(monitorUrl(state)), {
        timeoutMs: 60_000,
        abort: () => (isRunning(p.pid, p.bin) ? undefined : "nats-server exited"),
      });
    } catch (err) {
      await stopProcess(p).catch(() => {});
      removeState(dir, "nats");
      throw new Error(
        `${(err as Error).message}\n--- last lines of ${p.log} ---\n${tailLog(p.log)}\n---`,
      );
    }
    state.ready = true;
    writeState(dir, state);
    return { state, started: true };
  });
}

function monitorUrl(s: NatsState): string {
  return `http://${HOST}:${s.monitorPort}/healthz`;
}

export async function natsHealthy(s: NatsState): Promise<boolean> {
  if (!s.processes.every((p) => isRunning(p.pid, p.bin))) return false;
  try {
    return await healthy(monitorUrl(s));
  } catch {
    return false;
  }
}

/** Why a stopped nats-server is not fully gone, or undefined when it is. */
export async function natsLeftovers(s: NatsState): Promise<string | undefined> {
  const parts = [
    ...s.processes
      .filter((p) => isRunning(p.pid, p.bin))
      .map((p) => `${p.name} still running (pid ${p.pid})`),
  ];
  for (const port of [s.port, s.monitorPort]) {
    if (await isListening(port)) parts.push(`port ${port} still listening`);
  }
  for (const d of s.dataDirs) if (existsSync(d)) parts.push(`${d} not removed`);
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/** Stops the recorded nats-server by pid and removes its data; false if none was running. */
export function natsDown(dir = stateDir()): Promise<boolean> {
  return withLock(join(dir, "nats.lock"), async () => {
    const s = readState(dir, "nats");
    if (!s) return false;
    for (const p of s.processes) await stopProcess(p);
    for (const d of s.dataDirs) rmSync(d, { recursive: true, force: true });
    const left = await natsLeftovers(s);
    if (left) throw new Error(`nats:down left things behind: ${left}`);
    removeState(dir, "nats");
    return true;
  });
}
