// Polling with a deadline. Deadlines only bound how long a broken start may hang; no test asserts
// how fast anything happens.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 250 ms). */
  intervalMs?: number;
  /** Stop early, e.g. when the process being waited for has died. Return a reason to abort. */
  abort?: () => string | undefined;
}

/**
 * Calls `check` until it returns a value other than undefined/false, and returns that value.
 * Errors thrown by `check` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: ${last.message}` : last ? `: ${String(last)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}
