// Reads a RouterConfig from YAML text: protobuf JSON mapping (camelCase or proto field names,
// enums by name), exactly what the operator writes into the `<policy>-router` ConfigMap. Every
// problem is reported with where it is (which policy, which bin, which field), all at once, so a
// bad edit can be fixed in one go.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { parse as parseYaml } from "yaml";
import {
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
} from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { formatProblems } from "../formats/index.ts";

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`${source}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join("\n  - ")}`}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function parseRouterConfig(text: string, source = "router config"): PolicySnapshot[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [`not valid YAML: ${(error as Error).message}`]);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(source, ["expected a mapping with a `policies` list"]);
  }
  const unknownKeys = Object.keys(doc).filter((k) => k !== "policies");
  const problems = unknownKeys.map((k) => `unknown top-level field "${k}" (expected "policies")`);
  const list = (doc as { policies?: unknown }).policies;
  if (!Array.isArray(list)) {
    throw new ConfigError(source, [...problems, "`policies` must be a list"]);
  }
  const policies: PolicySnapshot[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const name = (item as { name?: unknown } | null)?.name;
    const where = typeof name === "string" && name !== "" ? `policy "${name}"` : `policies[${i}]`;
    let policy: PolicySnapshot;
    try {
      policy = fromJson(PolicySnapshotSchema, item as JsonValue);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
      return;
    }
    if (seen.has(policy.name)) problems.push(`${where}: duplicate policy name`);
    seen.add(policy.name);
    problems.push(...validatePolicy(policy).map((p) => `${where}: ${p}`));
    policies.push(policy);
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return policies;
}

// What the router needs to be true to serve a policy. The CRD's CEL rules check the same at
// admission; this catches hand-written files and keeps a bad ConfigMap from reaching the engine.
export function validatePolicy(p: PolicySnapshot): string[] {
  const problems: string[] = [];
  if (p.name === "") problems.push("name is empty");
  if (p.bins < 1) problems.push("bins must be at least 1");
  if (p.estimator !== Estimator.hint) {
    if (p.thresholds.length !== Math.max(0, p.bins - 1)) {
      problems.push(
        `thresholds: want bins-1 = ${p.bins - 1} cut points, got ${p.thresholds.length}`,
      );
    }
    for (let i = 1; i < p.thresholds.length; i++) {
      if (!((p.thresholds[i] as number) > (p.thresholds[i - 1] as number))) {
        problems.push(`thresholds must increase (index ${i})`);
        break;
      }
    }
  }
  if (!(p.maxProbeFraction >= 0 && p.maxProbeFraction <= 1)) {
    problems.push(`maxProbeFraction must be in (0, 1], got ${p.maxProbeFraction}`);
  }
  if (p.maxGenerations > 0 && p.defaultGenerations > p.maxGenerations) {
    problems.push(
      `defaultGenerations ${p.defaultGenerations} exceeds maxGenerations ${p.maxGenerations}`,
    );
  }
  problems.push(...formatProblems(p));
  const bins = p.binTable.map((b) => b.bin).sort((a, b) => a - b);
  const want = Array.from({ length: p.bins }, (_, i) => i + 1);
  if (bins.join(",") !== want.join(",")) {
    problems.push(`binTable: want one entry per bin ${want.join(", ")}, got [${bins.join(", ")}]`);
  }
  for (const entry of p.binTable) {
    const at = `bin ${entry.bin}`;
    if (entry.levels.length === 0) problems.push(`${at}: levels is empty`);
    entry.levels.forEach((level, i) => {
      if (level.strategy === Strategy.STRATEGY_UNSPECIFIED) {
        problems.push(`${at} levels[${i}]: strategy is missing`);
      }
      if (level.generations < 1) problems.push(`${at} levels[${i}]: generations must be ≥ 1`);
      if (level.beamWidth > 0 && level.generations % level.beamWidth !== 0) {
        problems.push(
          `${at} levels[${i}]: beamWidth ${level.beamWidth} does not divide generations ${level.generations}`,
        );
      }
    });
    if (entry.maxLevel !== undefined && entry.maxLevel >= entry.levels.length) {
      problems.push(`${at}: maxLevel ${entry.maxLevel} is past the last level`);
    }
    for (const role of ["proposer", "verifier"] as const) {
      const pool = entry[role];
      if (pool === undefined) {
        problems.push(`${at}: ${role} pool is missing`);
        continue;
      }
      if (pool.model === "") problems.push(`${at}: ${role}.model is empty`);
      if (pool.endpoints.length === 0) problems.push(`${at}: ${role}.endpoints is empty`);
      for (const endpoint of pool.endpoints) {
        if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
          problems.push(`${at}: ${role}.endpoints: "${endpoint}" is not an http(s) URL`);
        }
      }
    }
  }
  return problems;
}
