import assert from "node:assert/strict";
import { test } from "node:test";
import { seeded } from "../controller/testing/random.ts";
import { benchSpec, calibratedAccuracies, shiftingTrace } from "./planner.ts";
import { plannerController, simulate, staticController } from "./planner-goodput.ts";

test("the calibrated accuracies are read from the demo calibration's policy patch", () => {
  const patch = [
    "spec:",
    "  bins:",
    "    - bin: 1",
    "      strategies:",
    "        - { generations: 4, strategy: bestOfN, expectedAccuracy: 0.8375 }",
    "        - { generations: 16, strategy: revision, sequentialRatio: 1, expectedAccuracy: 0.8875 }",
    "    - bin: 2",
    "      strategies:",
    "        - { generations: 4, strategy: beam, beamWidth: 2, expectedAccuracy: 0.55 }",
    "        - { generations: 16, strategy: dvts, beamWidth: 4 }",
  ].join("\n");
  const acc = calibratedAccuracies(patch);
  assert.deepEqual(
    [...(acc.get(1) ?? [])],
    [
      [4, 0.8375],
      [16, 0.8875],
    ],
  );
  // A level without a measured accuracy has none, rather than a guess.
  assert.deepEqual([...(acc.get(2) ?? [])], [[4, 0.55]]);
  const spec = benchSpec(24);
  assert.ok(spec.bins.every((b) => b.strategies.every((s) => s.expectedAccuracy !== undefined)));
});

test("the fleet model: both controllers stay within the GPU budget and serve at most what arrives", () => {
  const spec = benchSpec(24);
  const phases = shiftingTrace(6);
  const model = {
    spec,
    tickSeconds: 10,
    startupSeconds: 60,
    reportWindowSeconds: 30,
    rand: seeded(3),
  };
  for (const c of [plannerController(spec), staticController(spec, phases)]) {
    const o = simulate(model, phases, c);
    assert.ok(o.gpus <= 24 + 1e-9, `${o.gpus} GPUs`);
    assert.ok(o.served <= o.arrived + 1e-9);
    assert.ok(o.goodput <= o.served);
    assert.ok(Math.abs(o.arrived - 6) < 1e-9);
  }
});
