// One backend replica as the picker sees it: how busy it is (outstanding calls), whether it is
// trusted, and how often it failed lately. This is the passive "outlier detection" of Envoy and
// llm-d's picker, driven by real calls:
// - a failure ejects it for a window (ejectBaseMs);
// - once the window has passed, exactly one real call probes it, even while other replicas are
//   healthy (otherwise a recovered replica would never be tried again);
// - the probe's success re-admits it; its failure doubles the window, up to ejectMaxMs.
// Calls that were already running when it was ejected settle without moving the window: a
// replica that dies under load fails all of them at once, and that is one failure, not twenty.
// Recent failures also weigh on picking after re-admission: a replica that fails fast looks
// idle, and a least-outstanding picker would send it nearly everything. Its "trust",
// 1 / (1 + failurePenalty × recent failures), is the share of picks it may compete in, spent as
// a credit (smooth weighted round robin, deterministic): trust 0.2 competes in one pick of
// five. The failures' weight fades (failureHalfLifeMs), so its share grows back to a full one.

export interface EjectionOptions {
  // First ejection window; doubles with each failed probe up to ejectMaxMs.
  ejectBaseMs: number;
  ejectMaxMs: number;
  // How fast a failure's weight on picking fades (half-life).
  failureHalfLifeMs: number;
  // How much one recent failure lowers a replica's share of picks (see trust above).
  failurePenalty: number;
}

export const DEFAULT_EJECTION: EjectionOptions = {
  ejectBaseMs: 2_000,
  ejectMaxMs: 30_000,
  failureHalfLifeMs: 10_000,
  failurePenalty: 4,
};

// A health change, for metrics and logs.
export type HealthEvent =
  | { kind: "ejected"; endpoint: string; windowMs: number; probe: boolean; reason: string }
  | { kind: "readmitted"; endpoint: string };

// One call placed on a replica: begin() hands it out, exactly one of succeeded/failed/released
// settles it.
export interface Lease {
  readonly probe: boolean;
  readonly epoch: number;
}

export class Replica {
  readonly endpoint: string;
  outstanding = 0;
  private readonly options: EjectionOptions;
  private readonly onHealth: ((event: HealthEvent) => void) | undefined;
  private ejected = false;
  private ejectedUntil = 0;
  private windowMs = 0;
  private probeInFlight = false;
  // Bumped on every health change, so a call that began before it cannot change it again.
  private epoch = 0;
  private failureWeight = 0;
  private failureWeightAt = 0;
  private credit = 1;

  constructor(
    endpoint: string,
    options: EjectionOptions = DEFAULT_EJECTION,
    onHealth?: (event: HealthEvent) => void,
  ) {
    this.endpoint = endpoint;
    this.options = options;
    this.onHealth = onHealth;
  }

  // Healthy: not ejected. Affinity only sticks to healthy replicas.
  get healthy(): boolean {
    return !this.ejected;
  }

  // Ejected, its window over, and no probe running: the next call should go here.
  probeDue(now: number): boolean {
    return this.ejected && now >= this.ejectedUntil && !this.probeInFlight;
  }

  // When it may be probed (0 when healthy).
  get ejectedUntilMs(): number {
    return this.ejected ? this.ejectedUntil : 0;
  }

  // Recent failures, decayed by their age: what picking holds against this replica.
  recentFailures(now: number): number {
    if (this.failureWeight === 0) return 0;
    const age = Math.max(0, now - this.failureWeightAt);
    return this.failureWeight * 0.5 ** (age / this.options.failureHalfLifeMs);
  }

  // Called once for every pick this healthy replica competes in: whether its credit lets it.
  admits(now: number): boolean {
    const trust = 1 / (1 + this.options.failurePenalty * this.recentFailures(now));
    this.credit = Math.min(1, this.credit + trust);
    return this.credit >= 1 - 1e-9;
  }

  begin(now: number): Lease {
    this.outstanding++;
    this.credit = Math.max(0, this.credit - 1);
    const probe = this.probeDue(now);
    if (probe) this.probeInFlight = true;
    return { probe, epoch: this.epoch };
  }

  succeeded(lease: Lease): void {
    this.settle(lease);
    // A call that started while ejected (the probe, or one placed because every replica was
    // ejected) proves the replica is back.
    if (this.ejected && (lease.probe || lease.epoch === this.epoch)) {
      this.ejected = false;
      this.windowMs = 0;
      this.epoch++;
      this.onHealth?.({ kind: "readmitted", endpoint: this.endpoint });
    }
  }

  failed(lease: Lease, now: number, reason: string): void {
    this.settle(lease);
    this.failureWeight = this.recentFailures(now) + 1;
    this.failureWeightAt = now;
    this.credit = 0;
    // Only a failure seen while healthy ejects, and only the probe's moves the window: the other
    // calls either began before the ejection or were placed because every replica was ejected.
    if (!lease.probe && (this.ejected || lease.epoch !== this.epoch)) return;
    const probe = this.ejected;
    this.windowMs = probe
      ? Math.min(this.options.ejectMaxMs, Math.max(this.windowMs, this.options.ejectBaseMs) * 2)
      : this.options.ejectBaseMs;
    this.ejected = true;
    this.ejectedUntil = now + this.windowMs;
    this.epoch++;
    this.onHealth?.({
      kind: "ejected",
      endpoint: this.endpoint,
      windowMs: this.windowMs,
      probe,
      reason,
    });
  }

  // Settled without a verdict: the request was cancelled or its deadline passed, or the
  // replica answered that the request itself was wrong.
  released(lease: Lease): void {
    this.settle(lease);
  }

  private settle(lease: Lease): void {
    this.outstanding--;
    if (lease.probe) this.probeInFlight = false;
  }
}
