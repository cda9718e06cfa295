// A gRPC call's deadline and cancellation as the engine wants them: an AbortSignal and a
// remainingMs() clock. The engine's clock runs a little ahead of the real deadline, because
// grpc-js ends the call with DEADLINE_EXCEEDED at the deadline itself: an answer built from the
// best-so-far must be sent before that, so the engine is told the deadline is slightly earlier.

import { EngineError } from "../engine/errors.ts";
import type { ServerCall } from "./adapter.ts";

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
  call: Pick<ServerCall, "getDeadline" | "on" | "removeListener">,
  options: DeadlineOptions = DEFAULT_DEADLINE,
): RequestDeadline {
  const now = options.now ?? Date.now;
  const start = now();
  const raw = call.getDeadline();
  const deadline = raw instanceof Date ? raw.getTime() : raw;
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
  const onCancelled = () =>
    controller.abort(new EngineError("CANCELLED", "the client cancelled the call"));
  call.on("cancelled", onCancelled);
  return {
    signal: controller.signal,
    remainingMs: () => (Number.isFinite(effective) ? Math.max(0, effective - now()) : Infinity),
    dispose: () => {
      clearTimeout(timer);
      call.removeListener("cancelled", onCancelled);
    },
  };
}
