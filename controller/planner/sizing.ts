// Replicas for one pool from demand and cost: ceil(λ · c / (capacity · utilisation)), clamped to
// the pool's bounds (Dynamo's _compute_*_replicas, KubeAI's enforceReplicaBounds). Without a cost
// or a capacity there is nothing to size with, and the pool stays at minReplicas.

export interface PoolBoundsInput {
  minReplicas: number;
  /** Absent means minReplicas, as in the CRD. */
  maxReplicas?: number;
}

export type SizingReason = "sized" | "clamped_min" | "clamped_max" | "no_cost" | "no_capacity";

export interface SizingInput {
  requestsPerSecond: number;
  /** Tokens one request costs this role; undefined before calibration or measurement. */
  tokensPerRequest: number | undefined;
  /** Tokens per second one replica sustains; undefined when the policy does not say. */
  capacityTokensPerSecond: number | undefined;
  targetUtilization: number;
  bounds: PoolBoundsInput;
}

export function clampReplicas(n: number, bounds: PoolBoundsInput): number {
  const max = bounds.maxReplicas ?? bounds.minReplicas;
  return Math.min(Math.max(n, bounds.minReplicas), max);
}

export function sizePool(input: SizingInput): { replicas: number; reason: SizingReason } {
  const { bounds } = input;
  if (input.capacityTokensPerSecond === undefined || input.capacityTokensPerSecond <= 0) {
    return { replicas: bounds.minReplicas, reason: "no_capacity" };
  }
  if (input.tokensPerRequest === undefined) {
    return { replicas: bounds.minReplicas, reason: "no_cost" };
  }
  const load = input.requestsPerSecond * input.tokensPerRequest;
  const perReplica = input.capacityTokensPerSecond * input.targetUtilization;
  // A hair under an integer is that integer: floating-point noise must not add a replica.
  const raw = Math.ceil(load / perReplica - 1e-9);
  const replicas = clampReplicas(Math.max(raw, 0), bounds);
  const reason = replicas > raw ? "clamped_min" : replicas < raw ? "clamped_max" : "sized";
  return { replicas, reason };
}
