import assert from "node:assert/strict";
import { test } from "node:test";
import type { TestTimePolicySpec } from "../policy/types.ts";
import { examplePolicy } from "../testing/sample.ts";
import type { BinDemand } from "./demand.ts";
import { step } from "./planner.ts";
import { decodeState, emptyState, encodeState, type PlannerState } from "./state.ts";

const spec: TestTimePolicySpec = examplePolicy((s) => {
  s.proposer.capacityTokensPerSecond = 1000;
  s.verifier.capacityTokensPerSecond = 1000;
  s.scaling.mode = "planner";
  s.scaling.stabilizationSeconds = 60;
  s.budget.gpus = 12;
  for (const b of s.bins) {
    b.proposer = { minReplicas: 1, maxReplicas: 10 };
    b.verifier = { minReplicas: 0, maxReplicas: 10 };
  }
}).spec;

const trace: Array<BinDemand[]> = [
  [{ bin: 1, requestsPerSecond: 3, proposerTokensPerRequest: 500, verifierTokensPerRequest: 300 }],
  [{ bin: 1, requestsPerSecond: 6, proposerTokensPerRequest: 500, verifierTokensPerRequest: 300 }],
  [
    { bin: 1, requestsPerSecond: 1 },
    { bin: 2, requestsPerSecond: 2, proposerTokensPerRequest: 900 },
  ],
  [{ bin: 1, requestsPerSecond: 1 }],
  [{ bin: 1, requestsPerSecond: 1 }],
  [{ bin: 1, requestsPerSecond: 0 }],
];

/** Runs the trace at 20 s per report; `restartAt` round-trips the state through JSON there. */
function run(restartAt: number | undefined) {
  let state: PlannerState = emptyState();
  const outputs: unknown[] = [];
  trace.forEach((demand, i) => {
    if (i === restartAt) {
      const stored = JSON.parse(JSON.stringify(encodeState(state)));
      const decoded = decodeState(stored);
      assert.equal(decoded.error, undefined);
      state = decoded.state;
    }
    const out = step(state, { spec, demand, now: 1_700_000_000 + 20 * i });
    outputs.push({ pools: out.pools, maxLevels: out.maxLevels, reasons: out.reasons });
    state = out.state;
  });
  return { outputs, state };
}

test("state round-trips through JSON unchanged", () => {
  const { state } = run(undefined);
  assert.ok(Object.keys(state.bins).length > 0);
  const back = decodeState(JSON.parse(JSON.stringify(encodeState(state))));
  assert.deepEqual(back, { state });
});

test("a planner restored from stored state at any step decides exactly as one that never stopped", () => {
  const uninterrupted = run(undefined).outputs;
  for (let at = 0; at < trace.length; at++) {
    assert.deepEqual(run(at).outputs, uninterrupted, `restart before step ${at}`);
  }
});

test("a planner started without state would decide differently (the state matters)", () => {
  // Pending scale-downs: after the restart a fresh planner would drop replicas at once.
  let state = emptyState();
  for (let i = 0; i < 3; i++) state = step(state, { spec, demand: trace[i], now: 20 * i }).state;
  const kept = step(state, { spec, demand: trace[3], now: 60 });
  const fresh = step(emptyState(), { spec, demand: trace[3], now: 60 });
  assert.notDeepEqual(
    kept.pools.map((p) => p.replicas),
    fresh.pools.map((p) => p.replicas),
  );
});

test("decodeState: absent or malformed state starts afresh, with a reason for the bad ones", () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ["absent", undefined, undefined],
    ["other version", { version: 9, bins: {} }, "version"],
    ["not an object", "x", "version"],
    [
      "bad bin key",
      { version: 1, bins: { one: { held: { requestsPerSecond: 1 }, replicas: {}, costs: {} } } },
      "bin one",
    ],
    [
      "negative demand",
      { version: 1, bins: { "1": { held: { requestsPerSecond: -1 }, replicas: {}, costs: {} } } },
      "bin 1",
    ],
    [
      "half a pending drop",
      {
        version: 1,
        bins: { "1": { held: { requestsPerSecond: 1, lowerSince: 5 }, replicas: {}, costs: {} } },
      },
      "bin 1",
    ],
    [
      "unknown role",
      {
        version: 1,
        bins: { "1": { held: { requestsPerSecond: 1 }, replicas: { router: 2 }, costs: {} } },
      },
      "bin 1",
    ],
  ];
  for (const [name, raw, error] of cases) {
    const got = decodeState(raw);
    assert.deepEqual(got.state, emptyState(), name);
    if (error === undefined) assert.equal(got.error, undefined, name);
    else assert.match(got.error ?? "", new RegExp(error), name);
  }
});
