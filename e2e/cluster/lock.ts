// A cross-process lock file, so two cluster:up runs (two terminals, or test files each calling the
// fixture) cannot both decide "nothing runs" and start two clusters over the same state directory.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

function holderAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` holding `path`; a lock whose holder died is taken over. */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  timeoutMs = 600_000,
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!holderAlive(path)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
