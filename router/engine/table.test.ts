import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { BinSnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { EngineError } from "./errors.ts";
import { DEFAULT_OPTIONS } from "./options.ts";
import { checkOverride, chooseConfig, generationBudget, toProtoConfig } from "./table.ts";
import { level, makePolicy } from "./testing/fixtures.ts";

const invalid = (pattern: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.code === "INVALID_ARGUMENT" && pattern.test(e.message);

describe("generationBudget", () => {
  const policy = makePolicy();
  it("uses the policy default for 0 and rejects budgets over the maximum", () => {
    assert.equal(generationBudget(0, policy), 16);
    assert.equal(generationBudget(64, policy), 64);
    assert.throws(() => generationBudget(65, policy), invalid(/max_generations.*65.*64/));
  });
});

describe("chooseConfig", () => {
  const policy = makePolicy();
  const choose = (bin: number, budget: number, p = policy) =>
    chooseConfig(p, bin, budget, undefined, DEFAULT_OPTIONS);

  it("picks the highest level whose generations fit the budget", () => {
    assert.equal(choose(2, 16).level, 1);
    assert.equal(choose(2, 63).level, 1);
    assert.equal(choose(2, 64).level, 2);
    assert.equal(choose(3, 64).config.strategy, "beam");
    assert.equal(choose(1, 64).config.sequentialRatio, 0.25);
  });

  it("runs level 0 cut to the budget when even it does not fit", () => {
    const c = choose(2, 3);
    assert.equal(c.level, 0);
    assert.equal(c.config.generations, 3);
    assert.equal(choose(3, 2).config.beamWidth, 2);
  });

  it("respects the planner's max_level", () => {
    const capped = makePolicy();
    const row = capped.binTable[1];
    assert.ok(row);
    row.maxLevel = 0;
    assert.equal(choose(2, 64, capped).level, 0);
    assert.equal(choose(2, 64, capped).config.generations, 4);
  });

  it("steps down one level below the budget's and max_level's choice, never below level 0", () => {
    const cases: {
      bin: number;
      budget: number;
      maxLevel?: number;
      level: number;
      down: boolean;
    }[] = [
      { bin: 2, budget: 64, level: 1, down: true },
      { bin: 2, budget: 16, level: 0, down: true },
      { bin: 2, budget: 3, level: 0, down: false },
      { bin: 2, budget: 64, maxLevel: 1, level: 0, down: true },
      { bin: 2, budget: 64, maxLevel: 0, level: 0, down: false },
    ];
    for (const c of cases) {
      const p = makePolicy();
      const row = p.binTable[1];
      assert.ok(row);
      if (c.maxLevel !== undefined) row.maxLevel = c.maxLevel;
      const choice = chooseConfig(p, c.bin, c.budget, undefined, DEFAULT_OPTIONS, true);
      assert.deepEqual([choice.level, choice.steppedDown], [c.level, c.down], JSON.stringify(c));
    }
    assert.equal(choose(2, 64).steppedDown, false);
  });

  it("swaps the strategy on override, keeping the level's generations and filling defaults", () => {
    const c = chooseConfig(policy, 2, 16, "beam", DEFAULT_OPTIONS);
    assert.equal(c.config.strategy, "beam");
    assert.equal(c.config.generations, 16);
    assert.equal(c.config.beamWidth, DEFAULT_OPTIONS.defaultBeamWidth);
    assert.equal(
      chooseConfig(policy, 2, 16, "revision", DEFAULT_OPTIONS).config.sequentialRatio,
      0.5,
    );
  });

  it("fails the precondition when a bin has no table", () => {
    const p = makePolicy({
      binTable: [create(BinSnapshotSchema, { bin: 1, levels: [level("bestOfN", 4)] })],
    });
    assert.throws(
      () => choose(2, 16, p),
      (e) => e instanceof EngineError && e.code === "FAILED_PRECONDITION",
    );
  });
});

describe("checkOverride", () => {
  it("maps names, treats UNSPECIFIED as none, rejects unknown numbers", () => {
    assert.equal(checkOverride(Strategy.STRATEGY_UNSPECIFIED), undefined);
    assert.equal(checkOverride(Strategy.dvts), "dvts");
    assert.throws(() => checkOverride(99), invalid(/strategy 99/));
  });
});

describe("toProtoConfig", () => {
  it("reports only the fields the strategy uses", () => {
    const c = toProtoConfig({
      strategy: "bestOfN",
      generations: 8,
      beamWidth: 4,
      lookahead: 1,
      sequentialRatio: 0.5,
      maxSteps: 40,
    });
    assert.equal(c.strategy, Strategy.bestOfN);
    assert.equal(c.beamWidth, 0);
    assert.equal(c.maxSteps, 0);
  });
});
