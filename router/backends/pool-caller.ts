// Places one backend call on a pool: pick a replica (sticky per request), bound the call by a
// per-call timeout as well as the request's own deadline, and when the replica cannot be
// reached, breaks off or times out, eject it and try another one. HTTP errors that say the
// request itself is wrong are not retried: another replica would say the same.
import { EngineError, unavailable } from "../engine/errors.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import { BadResponseError, ConnectionError, HttpStatusError } from "./http-json.ts";
import type { Replica } from "./replica.ts";

export interface CallOptions {
  // A bound on one HTTP call, independent of the request deadline (a hung replica must not eat
  // the whole deadline).
  callTimeoutMs: number;
  // Most replicas one call may try (bounded by the pool size).
  maxAttempts: number;
  onBackendError?: (pool: EndpointPool, endpoint: string, reason: string) => void;
  now?: () => number;
}

export const DEFAULT_CALL_OPTIONS: CallOptions = { callTimeoutMs: 60_000, maxAttempts: 3 };

// The replica each pool last served this request from; one per request.
export type Affinity = Map<EndpointPool, Replica>;

export async function callPool<T>(
  pool: EndpointPool,
  affinity: Affinity,
  signal: AbortSignal,
  options: CallOptions,
  call: (endpoint: string, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const what = `${pool.role} pool "${pool.model}"`;
  if (pool.replicas.length === 0) throw unavailable(`${what} has no endpoints`);
  const now = options.now ?? Date.now;
  const tried = new Set<Replica>();
  const failures: string[] = [];
  const attempts = Math.min(options.maxAttempts, pool.replicas.length);
  for (let attempt = 0; attempt < attempts; attempt++) {
    throwIfAborted(signal);
    const replica = pool.pick(affinity.get(pool), tried);
    if (replica === undefined) break;
    tried.add(replica);
    replica.begin();
    try {
      const callSignal = AbortSignal.any([signal, AbortSignal.timeout(options.callTimeoutMs)]);
      const result = await call(replica.endpoint, callSignal);
      replica.succeeded();
      affinity.set(pool, replica);
      return result;
    } catch (error) {
      // The request's own deadline or cancellation: not the replica's fault.
      throwIfAborted(signal);
      if (!isReplicaFailure(error)) throw toEngineError(what, error);
      const reason = describe(error, options.callTimeoutMs);
      replica.failed(now());
      if (affinity.get(pool) === replica) affinity.delete(pool);
      options.onBackendError?.(pool, replica.endpoint, reason);
      failures.push(`${replica.endpoint}: ${reason}`);
    } finally {
      replica.end();
    }
  }
  throw unavailable(`${what}: no replica answered (${failures.join("; ")})`);
}

function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof EngineError
    ? reason
    : new EngineError("CANCELLED", "request cancelled while waiting for a backend");
}

// Worth another replica: no connection, connection lost mid-answer, the per-call timeout, or a
// gateway/overload status.
function isReplicaFailure(error: unknown): boolean {
  if (error instanceof HttpStatusError) return [502, 503, 504].includes(error.status);
  if (error instanceof BadResponseError) return false;
  if (error instanceof DOMException) return error.name === "TimeoutError";
  return error instanceof ConnectionError;
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${timeoutMs} ms`;
  }
  if (error instanceof HttpStatusError) return `HTTP ${error.status}`;
  if (error instanceof ConnectionError) return error.code;
  return String((error as Error).message ?? error);
}

function toEngineError(what: string, error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  if (error instanceof HttpStatusError && (error.status === 400 || error.status === 422)) {
    // vLLM rejects what it cannot serve, e.g. a prompt longer than the model's context.
    return new EngineError("INVALID_ARGUMENT", `${what} rejected the request: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return unavailable(`${what}: ${message}`);
}
