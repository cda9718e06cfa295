// Where the router gets its policies: the YAML file (the operator writes the same RouterConfig
// into the `<policy>-router` ConfigMap) or the fleet bus's KV bucket (nats-source.ts).
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";

export type PolicyListener = (policies: ReadonlyMap<string, PolicySnapshot>) => void;

export interface PolicySource {
  // The current snapshot of one policy, by name.
  get(name: string): PolicySnapshot | undefined;
  // Names of every policy served now, sorted (for "unknown policy" messages).
  names(): string[];
  // Every policy served now, in names() order.
  list(): PolicySnapshot[];
  // Called after each change with the full new set; returns an unsubscribe function.
  subscribe(listener: PolicyListener): () => void;
  close(): Promise<void>;
}

// The part every source shares: the current set by name, swapped whole (a request in flight
// keeps the snapshot it started with) and announced to the listeners.
export abstract class SwappedPolicySource implements PolicySource {
  private policies: ReadonlyMap<string, PolicySnapshot> = new Map();
  private readonly listeners = new Set<PolicyListener>();

  get(name: string): PolicySnapshot | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()].sort();
  }

  list(): PolicySnapshot[] {
    return this.names().flatMap((name) => this.policies.get(name) ?? []);
  }

  subscribe(listener: PolicyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  abstract close(): Promise<void>;

  protected replace(policies: ReadonlyMap<string, PolicySnapshot>): void {
    this.policies = policies;
    for (const listener of this.listeners) listener(policies);
  }

  protected unsubscribeAll(): void {
    this.listeners.clear();
  }
}

// A fixed set of policies, swappable by hand: for tests, benches and embedding.
export class StaticPolicySource extends SwappedPolicySource {
  constructor(policies: Iterable<PolicySnapshot>) {
    super();
    this.replace(byName(policies));
  }

  set(policies: Iterable<PolicySnapshot>): void {
    this.replace(byName(policies));
  }

  async close(): Promise<void> {
    this.unsubscribeAll();
  }
}

export function byName(policies: Iterable<PolicySnapshot>): ReadonlyMap<string, PolicySnapshot> {
  return new Map([...policies].map((p) => [p.name, p]));
}
