// Where the router gets its policies: the YAML file (the operator writes the same RouterConfig
// into the `<policy>-router` ConfigMap) or the fleet bus's KV bucket (nats-source.ts).
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";

export type PolicyListener = (policies: ReadonlyMap<string, PolicySnapshot>) => void;

export interface PolicySource {
  // The current snapshot of one policy, by name.
  get(name: string): PolicySnapshot | undefined;
  // Names of every policy served now, sorted (for "unknown policy" messages).
  names(): string[];
  // Called after each change with the full new set; returns an unsubscribe function.
  subscribe(listener: PolicyListener): () => void;
  close(): Promise<void>;
}

// A fixed set of policies, swappable by hand: for tests, benches and embedding.
export class StaticPolicySource implements PolicySource {
  private policies: ReadonlyMap<string, PolicySnapshot>;
  private readonly listeners = new Set<PolicyListener>();

  constructor(policies: Iterable<PolicySnapshot>) {
    this.policies = byName(policies);
  }

  get(name: string): PolicySnapshot | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()].sort();
  }

  set(policies: Iterable<PolicySnapshot>): void {
    this.policies = byName(policies);
    for (const listener of this.listeners) listener(this.policies);
  }

  subscribe(listener: PolicyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

export function byName(policies: Iterable<PolicySnapshot>): ReadonlyMap<string, PolicySnapshot> {
  return new Map([...policies].map((p) => [p.name, p]));
}
