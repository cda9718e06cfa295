// The replicas of one pool (one model's Deployment for one bin and role) and the picking rule:
// least outstanding requests (weighed by recent failures), except that a request sticks to the
// replica it already used while that replica is healthy, so its follow-up calls (beam
// expansions, revisions) hit a warm prefix cache, and that an ejected replica gets its probe.
import { DEFAULT_EJECTION, type EjectionOptions, type HealthEvent, Replica } from "./replica.ts";

export type Role = "proposer" | "verifier";

export type PoolHealthEvent = HealthEvent & { pool: EndpointPool };

export interface PoolOptions {
  ejection?: Partial<EjectionOptions>;
  now?: () => number;
  // Replica health changes (ejections, re-admissions), for metrics and logs.
  onHealth?: (event: PoolHealthEvent) => void;
}

export class EndpointPool {
  readonly role: Role;
  readonly model: string;
  private current: Replica[];
  private readonly ejection: EjectionOptions;
  private readonly clock: () => number;
  private readonly onHealth: ((event: PoolHealthEvent) => void) | undefined;
  // Rotates the scan start so equally loaded replicas share the load instead of the first one
  // taking everything.
  private cursor = 0;
  private requestHeaders: Readonly<Record<string, string>> = {};

  constructor(role: Role, model: string, endpoints: readonly string[], options: PoolOptions = {}) {
    this.role = role;
    this.model = model;
    this.ejection = { ...DEFAULT_EJECTION, ...options.ejection };
    this.clock = options.now ?? Date.now;
    this.onHealth = options.onHealth;
    this.current = endpoints.map((e) => this.replica(e));
  }

  private replica(endpoint: string): Replica {
    const onHealth = this.onHealth;
    return new Replica(
      endpoint,
      this.ejection,
      onHealth && ((event) => onHealth({ ...event, pool: this })),
    );
  }

  get replicas(): readonly Replica[] {
    return this.current;
  }

  // Replace the replica set (a DNS refresh found pods come and go); replicas that stay keep
  // their load and health.
  setEndpoints(endpoints: readonly string[]): void {
    const byEndpoint = new Map(this.current.map((r) => [r.endpoint, r]));
    this.current = endpoints.map((e) => byEndpoint.get(e) ?? this.replica(e));
  }

  get outstanding(): number {
    return this.replicas.reduce((sum, r) => sum + r.outstanding, 0);
  }

  // Outstanding calls per replica: how the bin-0 probe compares pools of different sizes.
  get load(): number {
    return this.replicas.length === 0 ? Infinity : this.outstanding / this.replicas.length;
  }

  // The replica for the next call, or undefined when every replica has been tried already:
  // 1. an ejected replica whose window has passed gets its one probe call, even ahead of
  //    affinity (otherwise a recovered replica is never tried while the others are healthy);
  // 2. the request's own replica, while it is healthy;
  // 3. the healthy replica with the fewest outstanding calls, among those whose recent failures
  //    leave them a share of this pick;
  // 4. with every replica ejected, the one due back soonest (Envoy's "panic" mode), so a fleet
  //    that just restarted does not lock itself out.
  pick(preferred: Replica | undefined, tried: ReadonlySet<Replica>): Replica | undefined {
    const now = this.now();
    const candidates = this.replicas.filter((r) => !tried.has(r));
    if (candidates.length === 0) return undefined;
    const due = candidates.find((r) => r.probeDue(now));
    if (due) return due;
    if (preferred?.healthy && candidates.includes(preferred)) return preferred;
    const healthy = candidates.filter((r) => r.healthy);
    if (healthy.length === 0) {
      return candidates.reduce((a, b) => (b.ejectedUntilMs < a.ejectedUntilMs ? b : a));
    }
    // Replicas that failed lately compete in only a share of the picks (replica.ts).
    const admitted = healthy.filter((r) => r.admits(now));
    const pool = admitted.length > 0 ? admitted : healthy;
    // Rotate the scan start so equally loaded replicas share the load.
    const start = this.cursor++ % pool.length;
    let best: Replica | undefined;
    for (let i = 0; i < pool.length; i++) {
      const r = pool[(start + i) % pool.length] as Replica;
      if (best === undefined || r.outstanding < best.outstanding) best = r;
    }
    return best;
  }

  now(): number {
    return this.clock();
  }

  // vLLM's --api-key: sent as a bearer token on every call (undefined: none).
  setApiKey(key: string | undefined): void {
    this.requestHeaders = key ? { authorization: `Bearer ${key}` } : {};
  }

  headers(): Readonly<Record<string, string>> {
    return this.requestHeaders;
  }
}
