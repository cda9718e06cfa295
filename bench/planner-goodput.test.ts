import assert from "node:assert/strict";
import { test } from "node:test";
import { seeded } from "../controller/testing/random.ts";
import { benchSpec, calibratedAccuracies, shiftingTrace } from "./planner.ts";
import { plannerController, simulate, staticController } from "./planner-goodput.ts";

test("the calibrated accuracies are read from demo/policy.yaml's header", () => {
  const header = [
    "#   N              candidate  bin 1  bin 2",
    "#   8                bestOfN  88.8%  62.5%",
    "#   8   revision(ratio 0.25)  92.5%  60.0%",
    "#   16             dvts(M=4)  85.0%  72.5%",
    "# Chosen:",
    "#   bin 1: N=8 revision(ratio 0.25); N=16 dvts(M=4)",
    "#   bin 2: N=8 bestOfN; N=16 dvts(M=4)",
  ].join("\n");
  const acc = calibratedAccuracies(header);
  assert.deepEqual(
    [...(acc.get(1) ?? [])],
    [
      [8, 0.925],
      [16, 0.85],
    ],
  );
  assert.deepEqual(
    [...(acc.get(2) ?? [])],
    [
      [8, 0.625],
      [16, 0.725],
    ],
  );
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
