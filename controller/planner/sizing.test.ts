import assert from "node:assert/strict";
import { test } from "node:test";
import { type SizingInput, sizePool } from "./sizing.ts";

const base: SizingInput = {
  requestsPerSecond: 1,
  tokensPerRequest: 1000,
  capacityTokensPerSecond: 2000,
  targetUtilization: 0.5,
  bounds: { minReplicas: 1, maxReplicas: 10 },
};

test("sizePool: ceil(λ·c / (capacity·utilisation)) clamped to the bounds", () => {
  const cases: Array<[string, Partial<SizingInput>, number, string]> = [
    ["exactly one replica's worth", {}, 1, "sized"],
    ["a little more needs a second", { requestsPerSecond: 1.01 }, 2, "sized"],
    ["float noise under an integer is that integer", { requestsPerSecond: 0.1 * 30 }, 3, "sized"],
    ["utilisation shrinks what one replica takes", { targetUtilization: 0.25 }, 2, "sized"],
    ["heavy demand is capped at maxReplicas", { requestsPerSecond: 50 }, 10, "clamped_max"],
    ["no demand keeps minReplicas", { requestsPerSecond: 0 }, 1, "clamped_min"],
    [
      "minReplicas 0 lets an idle pool go to zero",
      { requestsPerSecond: 0, bounds: { minReplicas: 0, maxReplicas: 4 } },
      0,
      "sized",
    ],
    [
      "from zero, any demand asks for a replica",
      { requestsPerSecond: 0.001, bounds: { minReplicas: 0, maxReplicas: 4 } },
      1,
      "sized",
    ],
    [
      "absent maxReplicas means minReplicas",
      { requestsPerSecond: 9, bounds: { minReplicas: 2 } },
      2,
      "clamped_max",
    ],
    [
      "no cost known keeps minReplicas",
      { tokensPerRequest: undefined, requestsPerSecond: 9 },
      1,
      "no_cost",
    ],
    [
      "no capacity known keeps minReplicas",
      { capacityTokensPerSecond: undefined },
      1,
      "no_capacity",
    ],
  ];
  for (const [name, edit, replicas, reason] of cases) {
    assert.deepEqual(sizePool({ ...base, ...edit }), { replicas, reason }, name);
  }
});
