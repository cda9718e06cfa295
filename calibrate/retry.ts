// Retries of backend calls that failed for the fleet's reasons, around the router's clients and
// under the sample cache (so a retried call's answer is stored like any other). The router's
// pool caller already tries the pool's other replicas; what still fails is UNAVAILABLE (every
// replica tried failed: 5xx, a timeout, a reset). A calibration can afford to wait, so it
// backs off exponentially, within a bound, and tries again. A request the fleet refuses (4xx:
// INVALID_ARGUMENT) or a cancelled run is not retried.
import { setTimeout as sleep } from "node:timers/promises";
import type { Proposer, Verifier } from "../router/engine/backend.ts";
import { EngineError } from "../router/engine/errors.ts";

export interface RetryOptions {
  // Retries after the first attempt.
  retries: number;
  // The first wait; each retry doubles it, up to maxDelayMs.
  baseDelayMs: number;
  maxDelayMs: number;
  // Every retry, for counters and logs.
  onRetry?: (error: unknown, attempt: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 4, baseDelayMs: 250, maxDelayMs: 8_000 };

export function retryable(error: unknown): boolean {
  return error instanceof EngineError && error.code === "UNAVAILABLE";
}

export async function withRetries<T>(
  call: () => Promise<T>,
  signal: AbortSignal,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (signal.aborted || attempt >= options.retries || !retryable(error)) throw error;
      options.onRetry?.(error, attempt + 1);
      const delay = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      // Jitter, so the calls a fleet-wide hiccup failed do not all come back at once.
      await sleep(delay * (0.5 + Math.random() / 2), undefined, { signal });
    }
  }
}

export function retryingProposer(inner: Proposer, options: RetryOptions): Proposer {
  return { generate: (r) => withRetries(() => inner.generate(r), r.signal, options) };
}

export function retryingVerifier(inner: Verifier, options: RetryOptions): Verifier {
  return { score: (r) => withRetries(() => inner.score(r), r.signal, options) };
}
