// Bounded concurrency with a bounded FIFO wait queue. Past both bounds a request is refused at
// once (RESOURCE_EXHAUSTED) instead of waiting without limit: under overload the client learns
// quickly and can back off or go elsewhere, and the router's memory stays bounded.
import { EngineError } from "./engine/errors.ts";

export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  fail: (error: unknown) => void;
}

export class Admission {
  readonly maxInFlight: number;
  readonly maxQueue: number;
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private closedReason: string | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(options: { maxInFlight: number; maxQueue: number }) {
    this.maxInFlight = Math.max(1, options.maxInFlight);
    this.maxQueue = Math.max(0, options.maxQueue);
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  // Resolves with a release function once a slot is free. Rejects immediately when the queue is
  // full or admission is closed, and when `signal` aborts while waiting.
  acquire(signal: AbortSignal): Promise<Release> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new EngineError("UNAVAILABLE", this.closedReason));
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.running < this.maxInFlight) return Promise.resolve(this.take());
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new EngineError(
          "RESOURCE_EXHAUSTED",
          `router at capacity: ${this.running} in flight, ${this.waiting.length} queued`,
        ),
      );
    }
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
        this.notifyIdle();
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener("abort", onAbort);
          resolve(release);
        },
        fail: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  // Refuse new requests from now on (draining) and fail the ones still queued: they have not
  // started, so the client can retry them on another router at no cost.
  close(reason: string): void {
    this.closedReason = reason;
    for (const waiter of this.waiting.splice(0)) {
      waiter.fail(new EngineError("UNAVAILABLE", reason));
    }
    this.notifyIdle();
  }

  // Resolves when nothing is running or queued.
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private take(): Release {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.waiting.shift();
      if (next) next.grant(this.take());
      this.notifyIdle();
    };
  }

  private notifyIdle(): void {
    if (this.running > 0 || this.waiting.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
