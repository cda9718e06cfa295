// Scenario tables, as KubeAI's load-balancer tests: each case is a list of ticks (time, observed
// demand) with the held demand expected after each one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dampDemand, type HeldDemand, limitScaleUp } from "./damping.ts";

interface Tick {
  t: number;
  observed: number | undefined;
  held: number;
  reason: string;
}

const scenarios: Array<{ name: string; window: number; ticks: Tick[] }> = [
  {
    name: "a rise is followed at once",
    window: 60,
    ticks: [
      { t: 0, observed: 1, held: 1, reason: "rise" },
      { t: 5, observed: 4, held: 4, reason: "rise" },
      { t: 10, observed: 4, held: 4, reason: "steady" },
    ],
  },
  {
    name: "a drop waits for the window, then keeps a margin over the window's peak",
    window: 20,
    ticks: [
      { t: 0, observed: 10, held: 10, reason: "rise" },
      { t: 5, observed: 2, held: 10, reason: "lower_delayed" },
      { t: 15, observed: 3, held: 10, reason: "lower_delayed" },
      { t: 25, observed: 2, held: 3.3, reason: "lowered" },
      { t: 30, observed: 3, held: 3.3, reason: "steady" },
    ],
  },
  {
    name: "a spike back up inside the window cancels the pending drop",
    window: 20,
    ticks: [
      { t: 0, observed: 10, held: 10, reason: "rise" },
      { t: 5, observed: 2, held: 10, reason: "lower_delayed" },
      { t: 15, observed: 9.5, held: 10, reason: "steady" },
      { t: 20, observed: 2, held: 10, reason: "lower_delayed" },
      { t: 35, observed: 2, held: 10, reason: "lower_delayed" },
      { t: 40, observed: 2, held: 2.2, reason: "lowered" },
    ],
  },
  {
    name: "a dip within the tolerance is not lower demand",
    window: 0,
    ticks: [
      { t: 0, observed: 10, held: 10, reason: "rise" },
      { t: 5, observed: 9.1, held: 10, reason: "steady" },
    ],
  },
  {
    name: "a long fall steps down once per window, and to zero",
    window: 10,
    ticks: [
      { t: 0, observed: 8, held: 8, reason: "rise" },
      { t: 5, observed: 0, held: 8, reason: "lower_delayed" },
      { t: 15, observed: 0, held: 0, reason: "lowered" },
      { t: 20, observed: 0, held: 0, reason: "steady" },
    ],
  },
  {
    name: "unknown demand holds everything",
    window: 10,
    ticks: [
      { t: 0, observed: 5, held: 5, reason: "rise" },
      { t: 5, observed: 1, held: 5, reason: "lower_delayed" },
      { t: 100, observed: undefined, held: 5, reason: "no_data" },
      { t: 105, observed: 1, held: 1.1, reason: "lowered" },
    ],
  },
];

for (const s of scenarios) {
  test(`dampDemand: ${s.name}`, () => {
    let held: HeldDemand | undefined;
    for (const tick of s.ticks) {
      const r = dampDemand(held, tick.observed, tick.t, s.window);
      held = r.held;
      assert.equal(Number(r.held.requestsPerSecond.toFixed(6)), tick.held, `t=${tick.t}`);
      assert.equal(r.reason, tick.reason, `t=${tick.t}`);
    }
  });
}

test("limitScaleUp: up by at most the step, down at once", () => {
  const cases: Array<[number, number, number | undefined, number, boolean]> = [
    [1, 9, undefined, 9, false],
    [1, 9, 3, 4, true],
    [1, 4, 3, 4, false],
    [0, 1, 1, 1, false],
    [9, 2, 3, 2, false],
  ];
  for (const [previous, target, step, replicas, limited] of cases) {
    assert.deepEqual(
      limitScaleUp(previous, target, step),
      { replicas, limited },
      `${previous}→${target}`,
    );
  }
});
