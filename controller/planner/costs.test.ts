import assert from "node:assert/strict";
import { test } from "node:test";
import { type LevelCostInput, levelCost } from "./costs.ts";

const calibrated: LevelCostInput[] = [
  { generations: 4, proposerTokens: 2000, verifierTokens: 1000 },
  { generations: 16, proposerTokens: 6000, verifierTokens: 5000 },
  { generations: 64, proposerTokens: 30000 },
];
const bare: LevelCostInput[] = [{ generations: 4 }, { generations: 16 }, { generations: 64 }];

test("levelCost: measured first, scaled to other levels; calibrated next; else unknown", () => {
  const cases: Array<
    [
      string,
      LevelCostInput[],
      number,
      "proposer" | "verifier",
      number,
      number | undefined,
      number | undefined,
      string,
    ]
  > = [
    ["calibrated, nothing measured", calibrated, 1, "proposer", 1, undefined, 6000, "calibrated"],
    ["measured at the reference level", calibrated, 1, "proposer", 1, 9000, 9000, "measured"],
    ["measured, scaled down by the table", calibrated, 0, "proposer", 1, 9000, 3000, "measured"],
    ["measured, scaled up by the table", calibrated, 2, "proposer", 1, 9000, 45000, "measured"],
    [
      "measured, table gap: scaled by generations",
      calibrated,
      2,
      "verifier",
      1,
      4000,
      16000,
      "measured",
    ],
    ["measured, no table: scaled by generations", bare, 0, "verifier", 1, 8000, 2000, "measured"],
    ["table gap and nothing measured", calibrated, 2, "verifier", 1, undefined, undefined, "none"],
    ["no table and nothing measured", bare, 1, "proposer", 1, undefined, undefined, "none"],
  ];
  for (const [name, levels, level, role, reference, measured, tokens, source] of cases) {
    assert.deepEqual(
      levelCost(levels, level, role, reference, measured),
      { tokensPerRequest: tokens, source },
      name,
    );
  }
});

test("levelCost: a level outside the table is a programming error", () => {
  assert.throws(() => levelCost(bare, 3, "proposer", 0, undefined), /not in the table/);
  assert.throws(() => levelCost(bare, 0, "proposer", 5, undefined), /not in the table/);
  assert.throws(() => levelCost(bare, 0, "proposer", [0, 0, 0], 100), /not in the table/);
});

test("levelCost: a measurement over a mix of levels is scaled by that mix", () => {
  // Half the requests at 4 generations, half at 16: the mix averages 10 generations.
  const mixed = levelCost(bare, 1, "proposer", [0.5, 0.5, 0], 1000);
  assert.equal(mixed.tokensPerRequest, 1600);
  // With the table: the mix costs (2000 + 6000) / 2 = 4000 per request at the table's figures.
  const byTable = levelCost(calibrated, 0, "proposer", [1, 1, 0], 8000);
  assert.equal(byTable.tokensPerRequest, 4000);
  // A one-hot mix is the single reference level.
  assert.deepEqual(
    levelCost(calibrated, 2, "proposer", [0, 1, 0], 9000),
    levelCost(calibrated, 2, "proposer", 1, 9000),
  );
});
