// A call's deadline and cancellation as the engine wants them: an AbortSignal and a
// remainingMs() clock, whatever the transport. The engine's clock runs a little ahead of the
// real deadline: grpc-js ends a call with DEADLINE_EXCEEDED at the deadline itself, and an HTTP
// client gives up at its own timeout, so an answer built from the best-so-far must leave before
// then. The engine is told the deadline is slightly earlier.

import { EngineError } from "../engine/errors.ts";

// What a transport knows about one call.
export interface CallLifetime {
  // Absolute deadline in ms since the epoch; Infinity for none.
  deadline: number;
  // Calls `listener` when the client goes away; returns a function that stops listening.
  onCancel(listener: () => void): () => void;
}

export interface RequestDeadline {
  signal: AbortSignal;
  remainingMs: () => number;
  dispose: () => void;
}

export interface DeadlineOptions {
  // Time kept back for sending the answer: this fraction of the whole deadline, at most maxMs.
  reserveFraction: number;
  reserveMaxMs: number;
  now?: () => number;
}

export const DEFAULT_DEADLINE: DeadlineOptions = { reserveFraction: 0.1, reserveMaxMs: 50 };

export function requestDeadline(
  call: CallLifetime,
  options: DeadlineOptions = DEFAULT_DEADLINE,
): RequestDeadline {
  const now = options.now ?? Date.now;
  const start = now();
  const { deadline } = call;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let effective = Infinity;
  if (Number.isFinite(deadline)) {
    const reserve = Math.min(
      options.reserveMaxMs,
      Math.max(0, deadline - start) * options.reserveFraction,
    );
    effective = deadline - reserve;
    const expire = () =>
      controller.abort(new EngineError("DEADLINE_EXCEEDED", "deadline exceeded"));
    const wait = effective - start;
    if (wait <= 0) expire();
    else timer = setTimeout(expire, wait);
  }
  const stopListening = call.onCancel(() =>
    controller.abort(new EngineError("CANCELLED", "the client cancelled the call")),
  );
  return {
    signal: controller.signal,
    remainingMs: () => (Number.isFinite(effective) ? Math.max(0, effective - now()) : Infinity),
    dispose: () => {
      clearTimeout(timer);
      stopListening();
    },
  };
}

// True when the signal was aborted because the client went away (not by the deadline).
export function clientCancelled(signal: AbortSignal): boolean {
  return signal.aborted && (signal.reason as EngineError | undefined)?.code === "CANCELLED";
}
