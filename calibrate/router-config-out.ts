// router-config.yaml: the calibrated table as a RouterConfig for `mull router --config`, for a
// router run without the operator: the policy the calibration read (its formats, aggregation,
// budgets) with the calibrated probe, thresholds and tables, every bin on the fleet's pools (the
// calibration's pools serve every bin). The bare PolicySnapshot (no pools) is the demo's
// policy.yaml shape: a table that whichever fleet serves it gets its endpoints added to.
import { clone, create, toJson } from "@bufbuild/protobuf";
import { stringify } from "yaml";
import {
  BinSnapshotSchema,
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
  PoolSchema,
  type RouterConfig,
  RouterConfigSchema,
} from "../proto/gen/mull/v1/fleet_pb.ts";
import { Strategy, StrategyConfigSchema } from "../proto/gen/mull/v1/router_pb.ts";
import type { Role } from "../router/backends/endpoint-pool.ts";
import type { PatchInput } from "./patch.ts";

export interface SnapshotOptions {
  probeSamples: number;
  name?: string; // default: the base policy's
  namespace?: string;
}

// The base policy with the calibration's probe, thresholds and per-bin tables, without pools.
export function calibratedSnapshot(
  base: PolicySnapshot,
  input: PatchInput,
  options: SnapshotOptions,
): PolicySnapshot {
  const snapshot = clone(PolicySnapshotSchema, base);
  const top = Math.max(...input.budgets);
  snapshot.name = options.name ?? base.name;
  snapshot.namespace = options.namespace ?? base.namespace;
  snapshot.bins = input.bins.length;
  snapshot.estimator = Estimator.probe;
  snapshot.probeSamples = options.probeSamples;
  snapshot.thresholds = [...input.thresholds];
  snapshot.maxGenerations = Math.max(base.maxGenerations, top);
  if (snapshot.defaultGenerations <= 0) snapshot.defaultGenerations = Math.min(...input.budgets);
  snapshot.binTable = input.bins.map((b) =>
    create(BinSnapshotSchema, {
      bin: b.bin,
      levels: [...b.chosen]
        .sort((x, y) => x.budget - y.budget)
        .map((c) =>
          create(StrategyConfigSchema, {
            strategy: Strategy[c.spec.strategy],
            generations: c.budget,
            beamWidth: c.spec.beamWidth ?? 0,
            lookahead: c.spec.lookahead ?? 0,
            sequentialRatio: c.spec.sequentialRatio ?? 0,
          }),
        ),
    }),
  );
  return snapshot;
}

export interface RouterPool {
  model: string;
  endpoints: readonly string[];
  apiKeyFile?: string; // vLLM's --api-key, as `mull router` reads it: from a file
}

// Every bin on the same two pools.
export function calibratedRouterConfig(
  snapshot: PolicySnapshot,
  pools: Record<Role, RouterPool>,
): RouterConfig {
  const pool = (p: RouterPool) =>
    create(PoolSchema, {
      model: p.model,
      endpoints: [...p.endpoints],
      apiKeyFile: p.apiKeyFile ?? "",
    });
  const policy = clone(PolicySnapshotSchema, snapshot);
  for (const bin of policy.binTable) {
    bin.proposer = pool(pools.proposer);
    bin.verifier = pool(pools.verifier);
  }
  return create(RouterConfigSchema, { policies: [policy] });
}

const comment = (header: string) =>
  header === ""
    ? ""
    : `${header
        .split("\n")
        .map((l) => (l === "" ? "#" : `# ${l}`))
        .join("\n")}\n`;

export function routerConfigYaml(config: RouterConfig, header = ""): string {
  return `${comment(header)}${stringify(toJson(RouterConfigSchema, config))}`;
}

// The snapshot without pools, as demo/policy.yaml holds it.
export function snapshotYaml(snapshot: PolicySnapshot, header = ""): string {
  const bare = clone(PolicySnapshotSchema, snapshot);
  bare.binTable = snapshot.binTable.map((b) =>
    create(BinSnapshotSchema, {
      bin: b.bin,
      levels: b.levels,
      ...(b.maxLevel !== undefined ? { maxLevel: b.maxLevel } : {}),
    }),
  );
  return `${comment(header)}${stringify(toJson(PolicySnapshotSchema, bare))}`;
}
