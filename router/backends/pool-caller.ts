// Places one backend call on a pool: pick a replica (sticky per request), bound the call by a
// per-call timeout (scaled by the tokens it may generate) as well as the request's own
// deadline, and when the replica fails — cannot be reached, breaks off, times out, answers 5xx,
// or answers 2xx with something unparseable or malformed — count it against that replica and try
// another one. HTTP 4xx says the request itself is wrong: another replica would say the same, so
// it is not retried and does not count against the replica.
import { EngineError, unavailable } from "../engine/errors.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import {
  BadResponseError,
  ConnectionError,
  HttpStatusError,
  type RequestOptions,
} from "./http-json.ts";
import type { Replica } from "./replica.ts";

export interface CallOptions {
  // A bound on one HTTP call that generates nothing (e.g. scoring), independent of the request
  // deadline: a hung replica must not eat the whole deadline.
  callTimeoutMs: number;
  // Added to callTimeoutMs for every token the call may generate (its max_tokens): a long
  // generation on a busy replica is slow, not hung.
  callTimeoutPerTokenMs?: number;
  // Most replicas one call may try (bounded by the pool size).
  maxAttempts: number;
  // A replica failure, by reason label (timeout, http_500, invalid_json, econnrefused, …).
  onBackendError?: (pool: EndpointPool, endpoint: string, reason: string) => void;
}

export const DEFAULT_CALL_OPTIONS: CallOptions = {
  callTimeoutMs: 30_000,
  callTimeoutPerTokenMs: 50,
  maxAttempts: 3,
};

// The per-call timeout for a call that may generate up to maxTokens tokens per sample (samples
// of one call decode in parallel, so n does not add time).
export function callTimeoutFor(options: CallOptions, maxTokens = 0): number {
  return options.callTimeoutMs + (options.callTimeoutPerTokenMs ?? 0) * Math.max(0, maxTokens);
}

// The replica each pool last served this request from; one per request.
export type Affinity = Map<EndpointPool, Replica>;

export interface CallPoolOptions extends CallOptions {
  // max_tokens of this call, for its timeout.
  maxTokens?: number;
}

export async function callPool<T>(
  pool: EndpointPool,
  affinity: Affinity,
  signal: AbortSignal,
  options: CallPoolOptions,
  call: (endpoint: string, signal: AbortSignal, request: RequestOptions) => Promise<T>,
): Promise<T> {
  const what = `${pool.role} pool "${pool.model}"`;
  if (pool.replicas.length === 0) throw unavailable(`${what} has no endpoints`);
  const timeoutMs = callTimeoutFor(options, options.maxTokens);
  const tried = new Set<Replica>();
  const failures: string[] = [];
  const attempts = Math.min(options.maxAttempts, pool.replicas.length);
  const request: RequestOptions = { headers: pool.headers() };
  for (let attempt = 0; attempt < attempts; attempt++) {
    throwIfAborted(signal);
    const replica = pool.pick(affinity.get(pool), tried);
    if (replica === undefined) break;
    tried.add(replica);
    const lease = replica.begin(pool.now());
    let settled = false;
    try {
      const callSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      const result = await call(replica.endpoint, callSignal, request);
      replica.succeeded(lease);
      settled = true;
      // A probe elsewhere does not move the request off its warm replica.
      if (!affinity.get(pool)?.healthy) affinity.set(pool, replica);
      return result;
    } catch (error) {
      // The request's own deadline or cancellation: not the replica's fault.
      if (signal.aborted) {
        replica.released(lease);
        settled = true;
        throwIfAborted(signal);
      }
      const reason = failureReason(error);
      if (reason === undefined) {
        replica.released(lease);
        settled = true;
        throw toEngineError(what, error);
      }
      replica.failed(lease, pool.now(), reason);
      settled = true;
      if (affinity.get(pool) === replica) affinity.delete(pool);
      options.onBackendError?.(pool, replica.endpoint, reason);
      failures.push(`${replica.endpoint}: ${describe(error, timeoutMs)}`);
    } finally {
      if (!settled) replica.released(lease);
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

// The replica's fault, as a bounded metrics label; undefined when it is not (a 4xx, a bug).
export function failureReason(error: unknown): string | undefined {
  if (error instanceof HttpStatusError) {
    return error.status >= 500 && error.status <= 599 ? `http_${error.status}` : undefined;
  }
  if (error instanceof BadResponseError) return error.kind;
  if (error instanceof DOMException && error.name === "TimeoutError") return "timeout";
  if (error instanceof ConnectionError) {
    return /^E[A-Z_]+$/.test(error.code) ? error.code.toLowerCase() : "connection";
  }
  return undefined;
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
