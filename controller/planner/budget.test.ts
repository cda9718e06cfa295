import assert from "node:assert/strict";
import { test } from "node:test";
import { seeded } from "../testing/random.ts";
import { chooseLevels, type LevelOption, levelAccuracies, shrinkToBudget } from "./budget.ts";

/** Every combination, the same objective: the most value, then the higher levels. */
function bruteForce(bins: LevelOption[][], budget: number) {
  let best: { value: number; levels: number; gpus: number } | undefined;
  const walk = (i: number, gpus: number, value: number, levels: number) => {
    if (i === bins.length) {
      if (gpus > budget) return;
      if (
        !best ||
        value > best.value + 1e-9 ||
        (Math.abs(value - best.value) <= 1e-9 && levels > best.levels)
      )
        best = { value, levels, gpus };
      return;
    }
    for (const o of bins[i] as LevelOption[])
      walk(i + 1, gpus + o.gpus, value + o.value, levels + o.level);
  };
  walk(0, 0, 0, 0);
  return best;
}

function randomCase(rand: () => number) {
  const nBins = 1 + Math.floor(rand() * 5);
  const bins: LevelOption[][] = [];
  for (let b = 0; b < nBins; b++) {
    const nLevels = 1 + Math.floor(rand() * 4);
    const lambda = rand() * 10;
    let gpus = Math.floor(rand() * 3);
    let acc = rand() * 0.5;
    const options: LevelOption[] = [];
    for (let l = 0; l < nLevels; l++) {
      options.push({ level: l, gpus, value: lambda * acc });
      // Costs and accuracies mostly rise with the level, but not always (as calibration finds).
      gpus += Math.floor(rand() * 5) - (rand() < 0.15 ? 2 : 0);
      gpus = Math.max(gpus, 0);
      acc = Math.min(1, Math.max(0, acc + rand() * 0.3 - 0.05));
    }
    bins.push(options);
  }
  const total = bins.reduce((n, o) => n + Math.max(...o.map((x) => x.gpus)), 0);
  return { bins, budget: Math.floor(rand() * (total + 2)) };
}

test("chooseLevels equals brute force on 2,000 random small cases", () => {
  const rand = seeded(20261201);
  let infeasible = 0;
  for (let i = 0; i < 2000; i++) {
    const { bins, budget } = randomCase(rand);
    const exact = bruteForce(bins, budget);
    const got = chooseLevels(bins, budget);
    if (!exact) {
      infeasible++;
      assert.equal(got.fits, false, `case ${i}: nothing fits, yet it claims a fit`);
      const cheapest = bins.reduce((n, o) => n + Math.min(...o.map((x) => x.gpus)), 0);
      assert.equal(got.gpus, cheapest, `case ${i}: not the cheapest choice`);
      continue;
    }
    assert.equal(got.fits, true, `case ${i}`);
    assert.ok(got.gpus <= budget, `case ${i}: over budget`);
    assert.ok(
      Math.abs(got.value - exact.value) < 1e-9,
      `case ${i}: ${got.value} vs ${exact.value}`,
    );
    const value = got.choice.reduce((n, c, b) => n + (bins[b]?.[c]?.value ?? 0), 0);
    const gpus = got.choice.reduce((n, c, b) => n + (bins[b]?.[c]?.gpus ?? 0), 0);
    assert.ok(Math.abs(value - got.value) < 1e-9 && gpus === got.gpus, `case ${i}: bookkeeping`);
  }
  assert.ok(infeasible > 0 && infeasible < 2000, "the cases cover both outcomes");
});

test("chooseLevels: greedy by accuracy per GPU would be wrong here, the exact choice is not", () => {
  // Bin A: +1 GPU buys 3 of value (3/GPU); bin B: +3 GPUs buy 7 (2.33/GPU). With 3 spare GPUs,
  // greedy takes A's step first and can no longer afford B's; B alone is worth more.
  const bins: LevelOption[][] = [
    [
      { level: 0, gpus: 1, value: 1 },
      { level: 1, gpus: 2, value: 4 },
    ],
    [
      { level: 0, gpus: 1, value: 1 },
      { level: 1, gpus: 4, value: 8 },
    ],
  ];
  const got = chooseLevels(bins, 5);
  assert.deepEqual(got.choice, [0, 1]);
  assert.equal(got.value, 9);
});

test("chooseLevels: when nothing fits, the cheapest levels, and the lowest of equal cost", () => {
  const bins: LevelOption[][] = [
    [
      { level: 0, gpus: 6, value: 1 },
      { level: 1, gpus: 6, value: 2 },
    ],
    [
      { level: 0, gpus: 3, value: 1 },
      { level: 1, gpus: 2, value: 0.5 },
    ],
  ];
  assert.deepEqual(chooseLevels(bins, 4), { choice: [0, 1], gpus: 8, value: 1.5, fits: false });
});

test("chooseLevels: with equal value (no demand) the highest affordable levels win", () => {
  const bins: LevelOption[][] = [
    [
      { level: 0, gpus: 2, value: 0 },
      { level: 1, gpus: 2, value: 0 },
    ],
    [
      { level: 0, gpus: 2, value: 0 },
      { level: 1, gpus: 3, value: 0 },
    ],
  ];
  assert.deepEqual(chooseLevels(bins, 4).choice, [1, 0]);
  assert.deepEqual(chooseLevels(bins, 5).choice, [1, 1]);
});

test("levelAccuracies: calibration's figures, else rising with the level", () => {
  const cases: Array<[string, Array<{ expectedAccuracy?: number }>, number[]]> = [
    ["all calibrated", [{ expectedAccuracy: 0.4 }, { expectedAccuracy: 0.3 }], [0.4, 0.3]],
    ["none calibrated", [{}, {}, {}, {}], [0.25, 0.5, 0.75, 1]],
    [
      "a gap sits just above the level below",
      [{ expectedAccuracy: 0.5 }, {}, { expectedAccuracy: 0.7 }],
      [0.5, 0.501, 0.7],
    ],
    ["a leading gap starts from zero", [{}, { expectedAccuracy: 0.7 }], [0.001, 0.7]],
  ];
  for (const [name, levels, want] of cases) {
    const got = levelAccuracies(levels);
    assert.deepEqual(
      got.map((x) => Number(x.toFixed(6))),
      want,
      name,
    );
  }
});

test("shrinkToBudget: takes from the pool furthest above its minimum, never below it", () => {
  const cases: Array<[string, Array<[number, number, number]>, number, number[]]> = [
    [
      "fits already",
      [
        [2, 1, 1],
        [2, 1, 1],
      ],
      4,
      [2, 2],
    ],
    [
      "one from the largest",
      [
        [4, 1, 1],
        [2, 1, 1],
      ],
      5,
      [3, 2],
    ],
    [
      "evenly down to the budget",
      [
        [4, 1, 1],
        [4, 1, 1],
      ],
      4,
      [2, 2],
    ],
    [
      "minimums hold even over budget",
      [
        [3, 2, 1],
        [3, 3, 1],
      ],
      2,
      [2, 3],
    ],
    [
      "multi-GPU replicas count their GPUs",
      [
        [2, 0, 4],
        [2, 0, 1],
      ],
      5,
      [1, 1],
    ],
    [
      "GPU-less pools are not cut",
      [
        [5, 0, 0],
        [2, 0, 1],
      ],
      1,
      [5, 1],
    ],
  ];
  for (const [name, pools, budget, want] of cases) {
    const got = shrinkToBudget(
      pools.map(([replicas, minReplicas, gpusPerReplica]) => ({
        replicas,
        minReplicas,
        gpusPerReplica,
      })),
      budget,
    );
    assert.deepEqual(got, want, name);
  }
});
