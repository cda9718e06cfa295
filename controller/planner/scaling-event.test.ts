import assert from "node:assert/strict";
import { test } from "node:test";
import type { Decision } from "./planner.ts";
import { scalingEvent } from "./scaling-event.ts";

test("scalingEvent: one line for all the pools and levels of a step", () => {
  const cases: Array<[string, Decision[], ReturnType<typeof scalingEvent>]> = [
    ["nothing changed", [], undefined],
    [
      "pools and levels",
      [
        { bin: 1, role: "proposer", reason: "scale_up", from: 1, to: 3 },
        { bin: 1, role: "verifier", reason: "scale_up_limited", from: 1, to: 2 },
        { bin: 2, reason: "budget_capped", from: undefined, to: 0 },
      ],
      {
        reason: "Scaled",
        message:
          "b1 proposer 1→3 (scale_up), b1 verifier 1→2 (scale_up_limited); b2 max_level top→0 (budget_capped)",
      },
    ],
    [
      "levels only",
      [{ bin: 3, reason: "uncapped", from: 1, to: undefined }],
      { reason: "LevelsChanged", message: "b3 max_level 1→top (uncapped)" },
    ],
  ];
  for (const [name, decisions, want] of cases)
    assert.deepEqual(scalingEvent(decisions), want, name);
});

test("scalingEvent: a long message is cut to an Event's size", () => {
  const many: Decision[] = Array.from({ length: 200 }, (_, i) => ({
    bin: i,
    role: "proposer",
    reason: "scale_down",
    from: 10,
    to: 1,
  }));
  const e = scalingEvent(many);
  assert.equal(e?.message.length, 1024);
  assert.ok(e?.message.endsWith("…"));
});
