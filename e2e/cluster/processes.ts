// Starting and stopping the harness's processes. They run detached with output in a log file, so
// they outlive `npm run cluster:up`; they are stopped by the pid we recorded, never by name, and a
// pid is only signalled while /proc says it still runs the binary we started (pids get reused).
import { spawn } from "node:child_process";
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
} from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface Started {
  name: string;
  pid: number;
  bin: string;
  log: string;
}

/** Starts `bin` detached, with stdout and stderr in `log` (truncated: one log per start). */
export function startProcess(name: string, bin: string, args: string[], log: string): Started {
  const fd = openSync(log, "w");
  try {
    const child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${bin})`);
    // Without this the parent's event loop would wait for the child.
    child.unref();
    return { name, pid: child.pid, bin, log };
  } finally {
    closeSync(fd);
  }
}

/** True while `pid` is alive and still the process running `bin` (a zombie counts as gone). */
export function isRunning(pid: number, bin: string): boolean {
  let stat: string;
  let exe: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    exe = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch {
    return false;
  }
  // Field 3 (after the parenthesised command name) is the state; Z and X are dead.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X" && exe === bin;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(p: Started, graceMs = 10_000): Promise<void> {
  if (!isRunning(p.pid, p.bin)) return;
  signal(p.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isRunning(p.pid, p.bin)) {
    if (Date.now() > deadline) {
      signal(p.pid, "SIGKILL");
      await sleep(100);
      if (Date.now() > deadline + 5_000) throw new Error(`${p.name} (pid ${p.pid}) will not die`);
    }
    await sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** The last `lines` lines of a log, for error messages about a component that failed to start. */
export function tailLog(log: string, lines = 40): string {
  try {
    const size = statSync(log).size;
    const fd = openSync(log, "r");
    try {
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf.toString("utf8").split("\n").slice(-lines).join("\n");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "(no log)";
  }
}

export interface Stray {
  pid: number;
  cmdline: string;
}

/**
 * Live processes running a binary from `binDir` whose command line or environment mentions
 * `marker` (our state directory). That catches components we lost track of and kubectl/helm
 * children of tests, without touching another checkout's cluster built from the same cache.
 */
export function strayProcesses(binDir: string, marker: string): Stray[] {
  const out: Stray[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (!exe.startsWith(`${binDir}/`)) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
      if (state === "Z" || state === "X") continue;
      if (cmdline.includes(marker) || environ.includes(marker)) out.push({ pid, cmdline });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}
