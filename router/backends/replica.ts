// One backend replica as the picker sees it: how busy it is (outstanding calls) and whether it
// is trusted. A failure ejects it for a while; once the window has passed it is let back in on
// probation (one call at a time) and a success makes it healthy again. This is the passive
// "outlier detection" of Envoy and llm-d's picker: no extra probe traffic, so a replica that
// came back is found by the next real call.

export interface EjectionOptions {
  // First ejection window; doubles with each consecutive failure up to ejectMaxMs.
  ejectBaseMs: number;
  ejectMaxMs: number;
}

export const DEFAULT_EJECTION: EjectionOptions = { ejectBaseMs: 2_000, ejectMaxMs: 30_000 };

export class Replica {
  readonly endpoint: string;
  outstanding = 0;
  private consecutiveFailures = 0;
  private ejectedUntil = 0;
  private probeInFlight = false;
  private readonly options: EjectionOptions;

  constructor(endpoint: string, options: EjectionOptions = DEFAULT_EJECTION) {
    this.endpoint = endpoint;
    this.options = options;
  }

  // Healthy: no failure since the last success. Affinity only sticks to healthy replicas.
  get healthy(): boolean {
    return this.consecutiveFailures === 0;
  }

  // May take a call now: healthy, or out of its ejection window with no probe already running.
  available(now: number): boolean {
    if (this.healthy) return true;
    return now >= this.ejectedUntil && !this.probeInFlight;
  }

  // When it may be tried again (0 when it may be tried now).
  get ejectedUntilMs(): number {
    return this.ejectedUntil;
  }

  // Call accounting: the picker calls begin() for every call it places here.
  begin(): void {
    this.outstanding++;
    if (!this.healthy) this.probeInFlight = true;
  }

  end(): void {
    this.outstanding--;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    this.ejectedUntil = 0;
    this.probeInFlight = false;
  }

  failed(now: number): void {
    this.consecutiveFailures++;
    const window = Math.min(
      this.options.ejectMaxMs,
      this.options.ejectBaseMs * 2 ** (this.consecutiveFailures - 1),
    );
    this.ejectedUntil = now + window;
    this.probeInFlight = false;
  }
}
