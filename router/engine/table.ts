// The compute-optimal table: (difficulty bin, budget level) → strategy config. Calibration writes
// one row of levels per bin, by generations ascending; the request's generation budget picks the
// highest level that fits, and the planner may cap the level under load (BinSnapshot.max_level).
import { create } from "@bufbuild/protobuf";
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import {
  Strategy,
  type StrategyConfig,
  StrategyConfigSchema,
} from "../../proto/gen/mull/v1/router_pb.ts";
import { failedPrecondition, invalidArgument } from "./errors.ts";
import type { EngineOptions } from "./options.ts";

// The proto enum is the one list of strategy names; its zero value means "unspecified".
export type StrategyName = Exclude<keyof typeof Strategy, "STRATEGY_UNSPECIFIED">;

export const STRATEGY_NAMES: readonly StrategyName[] = (
  Object.keys(Strategy) as (keyof typeof Strategy)[]
).filter((name): name is StrategyName => Strategy[name] !== Strategy.STRATEGY_UNSPECIFIED);

// The enum number → its name; undefined for UNSPECIFIED and numbers this build does not know.
export function strategyName(value: number): StrategyName | undefined {
  return STRATEGY_NAMES.find((name) => Strategy[name] === value);
}

// A config with every field the strategy reads filled in (no zeros meaning "default").
export interface ResolvedConfig {
  strategy: StrategyName;
  generations: number;
  beamWidth: number;
  lookahead: number;
  sequentialRatio: number;
  maxSteps: number;
}

export interface TableChoice {
  level: number;
  config: ResolvedConfig;
  // One level below what the budget and max_level allowed (see chooseConfig's stepDown).
  steppedDown: boolean;
}

// The request's generation budget: 0 means the policy default; above the policy maximum is the
// client's error.
export function generationBudget(requested: number, policy: PolicySnapshot): number {
  const max = policy.maxGenerations;
  if (max > 0 && requested > max) {
    throw invalidArgument(
      `budget.max_generations is ${requested}, above policy ${policy.name}'s max_generations ${max}`,
    );
  }
  const budget = requested > 0 ? requested : policy.defaultGenerations;
  if (budget <= 0) {
    throw failedPrecondition(
      `policy ${policy.name} has no default_generations and the request set none`,
    );
  }
  return max > 0 ? Math.min(budget, max) : budget;
}

// Validates a strategy override: UNSPECIFIED (0) means "the table's choice".
export function checkOverride(value: number): StrategyName | undefined {
  if (value === Strategy.STRATEGY_UNSPECIFIED) return undefined;
  const name = strategyName(value);
  if (!name) throw invalidArgument(`strategy ${value} is not a known Strategy`);
  return name;
}

export function chooseConfig(
  policy: PolicySnapshot,
  bin: number,
  budget: number,
  override: StrategyName | undefined,
  options: EngineOptions,
  stepDown = false,
): TableChoice {
  const row = policy.binTable.find((b) => b.bin === bin);
  if (!row || row.levels.length === 0) {
    throw failedPrecondition(`policy ${policy.name} has no strategy table for bin ${bin}`);
  }
  const cap = Math.min(row.maxLevel ?? row.levels.length - 1, row.levels.length - 1);
  let level = 0;
  for (let l = 0; l <= cap; l++) {
    if ((row.levels[l]?.generations ?? Infinity) <= budget) level = l;
  }
  const steppedDown = stepDown && level > 0;
  if (steppedDown) level--;
  const entry = row.levels[level] as StrategyConfig;
  const own = strategyName(entry.strategy);
  if (!own) {
    throw failedPrecondition(
      `policy ${policy.name} bin ${bin} level ${level} names no known strategy`,
    );
  }
  // Even the cheapest level may not fit: run it with the budget's generations.
  const generations = Math.max(1, Math.min(entry.generations, budget));
  return {
    level,
    config: resolve(entry, own, override ?? own, generations, options),
    steppedDown,
  };
}

function resolve(
  entry: StrategyConfig,
  own: StrategyName,
  strategy: StrategyName,
  generations: number,
  o: EngineOptions,
): ResolvedConfig {
  // Fields another strategy left at 0 get the engine's defaults after an override.
  const ratio =
    entry.sequentialRatio > 0 || own === "revision"
      ? entry.sequentialRatio
      : o.defaultSequentialRatio;
  return {
    strategy,
    generations,
    beamWidth: Math.min(generations, entry.beamWidth || o.defaultBeamWidth),
    lookahead: entry.lookahead || o.defaultLookahead,
    sequentialRatio: Math.min(1, Math.max(0, ratio)),
    maxSteps: entry.maxSteps || o.defaultMaxSteps,
  };
}

// The config as the response reports it: only the fields the strategy actually used.
export function toProtoConfig(c: ResolvedConfig): StrategyConfig {
  const search = c.strategy === "beam" || c.strategy === "lookahead" || c.strategy === "dvts";
  return create(StrategyConfigSchema, {
    strategy: Strategy[c.strategy],
    generations: c.generations,
    beamWidth: search ? c.beamWidth : 0,
    lookahead: c.strategy === "lookahead" ? c.lookahead : 0,
    sequentialRatio: c.strategy === "revision" ? c.sequentialRatio : 0,
    maxSteps: search ? c.maxSteps : 0,
  });
}
