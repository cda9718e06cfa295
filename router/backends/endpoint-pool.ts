// The replicas of one pool (one model's Deployment for one bin and role) and the picking rule:
// least outstanding requests, except that a request sticks to the replica it already used while
// that replica is healthy, so its follow-up calls (beam expansions, revisions) hit a warm prefix
// cache.
import { DEFAULT_EJECTION, type EjectionOptions, Replica } from "./replica.ts";

export type Role = "proposer" | "verifier";

export class EndpointPool {
  readonly role: Role;
  readonly model: string;
  private current: Replica[];
  private readonly ejection: EjectionOptions;
  private readonly now: () => number;
  // Rotates the scan start so equally loaded replicas share the load instead of the first one
  // taking everything.
  private cursor = 0;

  constructor(
    role: Role,
    model: string,
    endpoints: readonly string[],
    options: { ejection?: EjectionOptions; now?: () => number } = {},
  ) {
    this.role = role;
    this.model = model;
    this.ejection = options.ejection ?? DEFAULT_EJECTION;
    this.current = endpoints.map((e) => new Replica(e, this.ejection));
    this.now = options.now ?? Date.now;
  }

  get replicas(): readonly Replica[] {
    return this.current;
  }

  // Replace the replica set (a DNS refresh found pods come and go); replicas that stay keep
  // their load and health.
  setEndpoints(endpoints: readonly string[]): void {
    const byEndpoint = new Map(this.current.map((r) => [r.endpoint, r]));
    this.current = endpoints.map((e) => byEndpoint.get(e) ?? new Replica(e, this.ejection));
  }

  get outstanding(): number {
    return this.replicas.reduce((sum, r) => sum + r.outstanding, 0);
  }

  // Outstanding calls per replica: how the bin-0 probe compares pools of different sizes.
  get load(): number {
    return this.replicas.length === 0 ? Infinity : this.outstanding / this.replicas.length;
  }

  // The replica for the next call, or undefined when every replica has been tried already.
  pick(preferred: Replica | undefined, tried: ReadonlySet<Replica>): Replica | undefined {
    if (preferred?.healthy && !tried.has(preferred) && this.replicas.includes(preferred)) {
      return preferred;
    }
    const now = this.now();
    const candidates = this.replicas.filter((r) => !tried.has(r));
    if (candidates.length === 0) return undefined;
    const open = candidates.filter((r) => r.available(now));
    // Everything ejected: try the one that comes back soonest rather than failing outright
    // (Envoy's "panic" mode): a fleet that just restarted must not lock itself out.
    if (open.length === 0) {
      return candidates.reduce((a, b) => (b.ejectedUntilMs < a.ejectedUntilMs ? b : a));
    }
    const start = this.cursor++ % open.length;
    let best: Replica | undefined;
    for (let i = 0; i < open.length; i++) {
      const r = open[(start + i) % open.length] as Replica;
      // Healthy replicas first; among equals, the fewest outstanding calls.
      if (
        best === undefined ||
        (r.healthy && !best.healthy) ||
        (r.healthy === best.healthy && r.outstanding < best.outstanding)
      ) {
        best = r;
      }
    }
    return best;
  }
}
