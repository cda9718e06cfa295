// The policies the demo serves. The compute-optimal one comes from demo/policy.yaml (written by
// `mull demo --calibrate`) with the simulated fleet's endpoints filled in; the baseline is plain
// best-of-N with no probe, spread over every replica so it gets the same hardware.
import { readFileSync } from "node:fs";
import { clone, create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { parse as parseYaml } from "yaml";
import {
  BinSnapshotSchema,
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
  type Pool,
  PoolSchema,
} from "../proto/gen/mull/v1/fleet_pb.ts";
import { Aggregation, Strategy } from "../proto/gen/mull/v1/router_pb.ts";
import { ConfigError, validatePolicy } from "../router/policy/router-config.ts";
import type { Fleet } from "../sim/fleet.ts";

export const POLICY_FILE = new URL("./policy.yaml", import.meta.url);
export const OPTIMAL = "compute-optimal";
export const BASELINE = "best-of-n";

// The calibrated table without endpoints: those belong to whichever fleet serves it.
export function loadTable(file: URL = POLICY_FILE): PolicySnapshot {
  return fromJson(PolicySnapshotSchema, parseYaml(readFileSync(file, "utf8")) as JsonValue);
}

// Policy bin b runs on the fleet's bin b-1 pools: each bin has its own proposer and verifier.
export function onFleet(table: PolicySnapshot, fleet: Fleet): PolicySnapshot {
  if (fleet.bins.length < table.bins) {
    throw new Error(
      `policy ${table.name} has ${table.bins} bins; the fleet has ${fleet.bins.length}`,
    );
  }
  const policy = clone(PolicySnapshotSchema, table);
  policy.binTable = table.binTable.map((b) => {
    const pools = fleet.bins[b.bin - 1];
    return create(BinSnapshotSchema, {
      bin: b.bin,
      levels: b.levels,
      ...(b.maxLevel !== undefined ? { maxLevel: b.maxLevel } : {}),
      ...(pools ? { proposer: pools.proposer, verifier: pools.verifier } : {}),
    });
  });
  const problems = validatePolicy(policy);
  if (problems.length > 0) throw new ConfigError(`policy ${policy.name}`, problems);
  return policy;
}

// Plain best-of-N at each budget in `ladder` on `base`'s formats and settings: one bin (the
// client's hint skips the probe), the budget picks the level, on the given pools.
export function bestOfNLadder(
  base: PolicySnapshot,
  ladder: readonly number[],
  pools: { proposer?: Pool; verifier?: Pool },
): PolicySnapshot {
  const policy = clone(PolicySnapshotSchema, base);
  policy.name = BASELINE;
  policy.bins = 1;
  policy.estimator = Estimator.hint;
  policy.thresholds = [];
  policy.defaultGenerations = Math.min(...ladder);
  policy.maxGenerations = Math.max(...ladder);
  policy.binTable = [
    create(BinSnapshotSchema, {
      bin: 1,
      levels: [...ladder]
        .sort((a, b) => a - b)
        .map((generations) => ({ strategy: Strategy.bestOfN, generations })),
      ...(pools.proposer ? { proposer: pools.proposer } : {}),
      ...(pools.verifier ? { verifier: pools.verifier } : {}),
    }),
  ];
  return policy;
}

// The demo's baseline: best-of-N in the sim's format, spread over every replica of the fleet.
export function bestOfNPolicy(fleet: Fleet, ladder: readonly number[]): PolicySnapshot {
  const all = (role: "proposer" | "verifier") =>
    create(PoolSchema, {
      model: fleet.bins[0]?.[role].model ?? "",
      endpoints: fleet.bins.flatMap((b) => b[role].endpoints),
    });
  const base = create(PolicySnapshotSchema, {
    namespace: "demo",
    aggregation: Aggregation.last,
    stepSeparator: "<extra_0>",
  });
  return bestOfNLadder(base, ladder, { proposer: all("proposer"), verifier: all("verifier") });
}
