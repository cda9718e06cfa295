import assert from "node:assert/strict";
import { test } from "node:test";
import { createEngine } from "./engine/engine.ts";
import { engineOptionsFromFlags } from "./engine-flags.ts";

test("engine flags become engine options, leaving the rest at their defaults", () => {
  const input = engineOptionsFromFlags({
    "early-stop": "off",
    "early-stop-rounds": "1",
    temperature: "0.6",
  });
  assert.ok(!Array.isArray(input));
  const engine = createEngine(input);
  assert.equal(engine.options.earlyStopping.rule, "off");
  assert.equal(engine.options.earlyStopping.rounds, 1);
  assert.equal(engine.options.temperature, 0.6);
  assert.equal(engine.options.maxPromptChars, createEngine().options.maxPromptChars);
  assert.deepEqual(engineOptionsFromFlags({}), {});
});

test("every bad engine flag is named at once", () => {
  const problems = engineOptionsFromFlags({
    "early-stop": "sometimes",
    "early-stop-rounds": "0",
    "early-stop-margin": "2",
    temperature: "hot",
    "max-prompt-chars": "",
  });
  assert.ok(Array.isArray(problems));
  assert.equal(problems.length, 5);
  assert.match(
    problems[0] ?? "",
    /--early-stop must be one of off, exact, margin, got "sometimes"/,
  );
  assert.ok(problems.some((p) => p.startsWith("--temperature")));
});
