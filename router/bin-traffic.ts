// Per (policy, bin) traffic as the router sees it: which requests are running in each bin (for
// the queue step-down), what they cost (for the demand reports), and waiting for the first
// replica of a bin scaled to zero. The snapshots say how many replicas are ready
// (Pool.ready_replicas); a pool whose readiness is unknown counts as ready.
import type { BinSnapshot, PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import type { DemandCounters, Finished } from "./bus/demand-counters.ts";
import { EngineError, unavailable } from "./engine/errors.ts";
import type { PolicySource } from "./policy/policy-source.ts";

export interface BinTrafficOptions {
  policies: PolicySource;
  /** Absent without a bus: nothing is reported. */
  counters?: DemandCounters;
  /** Called when a request starts waiting for a bin with no ready replica: report at once. */
  onWaiting?: (policy: PolicySnapshot, bin: number) => void;
  /**
   * Step down a level when this many requests per ready proposer replica already run in the
   * bin; 0 never steps down.
   */
  stepDownQueue?: number;
  /** The longest a request without a deadline waits for a replica. */
  maxReplicaWaitMs?: number;
  onStepDown?: (policy: PolicySnapshot, bin: number) => void;
}

export const DEFAULT_MAX_REPLICA_WAIT_MS = 120_000;

function key(policy: PolicySnapshot, bin: number): string {
  return `${policy.namespace}/${policy.name}/${bin}`;
}

function readyOf(row: BinSnapshot | undefined): number {
  if (row === undefined) return 0;
  const p = row.proposer?.readyReplicas ?? Number.POSITIVE_INFINITY;
  const v = row.verifier?.readyReplicas ?? Number.POSITIVE_INFINITY;
  return Math.min(p, v);
}

/** Whether the probe (bin 0: any bin) or bin `bin` can be served by this snapshot now. */
export function binReady(policy: PolicySnapshot, bin: number): boolean {
  if (bin === 0) return policy.binTable.some((row) => readyOf(row) > 0);
  return readyOf(policy.binTable.find((b) => b.bin === bin)) > 0;
}

export class BinTraffic {
  private readonly o: BinTrafficOptions;
  private readonly running = new Map<string, number>();

  constructor(options: BinTrafficOptions) {
    this.o = options;
  }

  /** Requests running in the bin now (after their bin was chosen). */
  runningIn(policy: PolicySnapshot, bin: number): number {
    return this.running.get(key(policy, bin)) ?? 0;
  }

  stepDown(policy: PolicySnapshot, bin: number): boolean {
    const perReplica = this.o.stepDownQueue ?? 0;
    if (perReplica <= 0) return false;
    const latest = this.latest(policy);
    const row = latest.binTable.find((b) => b.bin === bin);
    const ready = row?.proposer?.readyReplicas ?? row?.proposer?.endpoints.length ?? 1;
    const down = this.runningIn(policy, bin) >= perReplica * Math.max(1, ready);
    if (down) this.o.onStepDown?.(policy, bin);
    return down;
  }

  /** A request's bin and level are known: it runs in the bin until `finished` or `failed`. */
  entered(policy: PolicySnapshot, bin: number, level: number, steppedDown: boolean): void {
    this.running.set(key(policy, bin), this.runningIn(policy, bin) + 1);
    this.o.counters?.arrived(policy, bin, level, steppedDown);
  }

  finished(policy: PolicySnapshot, bin: number, f: Finished): void {
    this.leave(policy, bin);
    this.o.counters?.finished(policy, bin, f);
  }

  failed(policy: PolicySnapshot, bin: number): void {
    this.leave(policy, bin);
    this.o.counters?.failed(policy, bin);
  }

  /**
   * The newest snapshot of the request's policy once `bin` has a ready replica. Waits (reporting
   * demand at once) while it has none, until the signal aborts: then UNAVAILABLE, saying why.
   */
  async ready(policy: PolicySnapshot, bin: number, signal: AbortSignal): Promise<PolicySnapshot> {
    const now = this.latest(policy);
    if (binReady(now, bin)) return now;
    const what = bin === 0 ? "no bin has a ready replica" : `bin ${bin} has no ready replica`;
    const waitingBin = bin === 0 ? (policy.binTable[0]?.bin ?? 1) : bin;
    this.o.counters?.waiting(policy, waitingBin, 1);
    this.o.onWaiting?.(policy, waitingBin);
    const started = Date.now();
    try {
      return await new Promise<PolicySnapshot>((resolve, reject) => {
        const cap = setTimeout(
          () => done(new EngineError("DEADLINE_EXCEEDED", "replica wait")),
          this.o.maxReplicaWaitMs ?? DEFAULT_MAX_REPLICA_WAIT_MS,
        );
        const unsubscribe = this.o.policies.subscribe(() => {
          const fresh = this.latest(policy);
          if (binReady(fresh, bin)) done(fresh);
        });
        const onAbort = () => done(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        function done(result: PolicySnapshot | unknown) {
          clearTimeout(cap);
          unsubscribe();
          signal.removeEventListener("abort", onAbort);
          if (result && typeof result === "object" && "binTable" in result) {
            resolve(result as PolicySnapshot);
            return;
          }
          const cancelled = result instanceof EngineError && result.code === "CANCELLED";
          if (cancelled) {
            reject(result);
            return;
          }
          const waited = ((Date.now() - started) / 1000).toFixed(1);
          reject(
            unavailable(
              `policy ${policy.name}: ${what} (scaled to zero); ` +
                `waited ${waited}s for one to start, demand was reported`,
            ),
          );
        }
        if (signal.aborted) onAbort();
      });
    } finally {
      this.o.counters?.waiting(policy, waitingBin, -1);
    }
  }

  private leave(policy: PolicySnapshot, bin: number): void {
    const n = this.runningIn(policy, bin) - 1;
    if (n <= 0) this.running.delete(key(policy, bin));
    else this.running.set(key(policy, bin), n);
  }

  // The source's current snapshot of this policy, or the request's own if it went away.
  private latest(policy: PolicySnapshot): PolicySnapshot {
    const current = this.o.policies.get(policy.name);
    return current && current.namespace === policy.namespace ? current : policy;
  }
}
