// The planner's step, Dynamo-style: input in, effects out, no mocks; assertions are on replicas,
// levels and the reasons given for them.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TestTimePolicySpec } from "../policy/types.ts";
import { seeded } from "../testing/random.ts";
import { examplePolicy } from "../testing/sample.ts";
import type { BinDemand } from "./demand.ts";
import { type PlannerOutput, step } from "./planner.ts";
import { emptyState, type PlannerState } from "./state.ts";

/**
 * The example policy (3 bins, levels 4/16/64 generations, default 16 = level 1) with room to
 * scale: proposer 1400 tok/s, verifier 700 tok/s at utilisation 0.5 (700 and 350 per replica).
 */
function spec(edit: (s: TestTimePolicySpec) => void = () => {}): TestTimePolicySpec {
  return examplePolicy((s) => {
    s.proposer.capacityTokensPerSecond = 1400;
    s.verifier.capacityTokensPerSecond = 700;
    s.scaling.mode = "planner";
    s.scaling.targetUtilization = 0.5;
    s.scaling.stabilizationSeconds = 60;
    s.budget.gpus = 100;
    for (const b of s.bins) {
      b.proposer = { minReplicas: 1, maxReplicas: 20 };
      b.verifier = { minReplicas: 1, maxReplicas: 20 };
    }
    edit(s);
  }).spec;
}

const pool = (out: PlannerOutput, bin: number, role: "proposer" | "verifier") => {
  const p = out.pools.find((x) => x.bin === bin && x.role === role);
  assert.ok(p, `no pool b${bin} ${role}`);
  return p;
};

const demand = (bin: number, rps: number, p = 700, v = 350): BinDemand => ({
  bin,
  requestsPerSecond: rps,
  proposerTokensPerRequest: p,
  verifierTokensPerRequest: v,
});

test("proposer and verifier are sized together from the same demand", () => {
  const cases: Array<[string, BinDemand, number, number]> = [
    ["one replica's worth each", demand(1, 1), 1, 1],
    ["3 req/s: 2100 proposer and 1050 verifier tokens/s", demand(1, 3), 3, 3],
    ["a verifier-heavy bin", demand(1, 2, 350, 700), 1, 4],
    ["capped at maxReplicas", demand(1, 100), 20, 20],
  ];
  for (const [name, d, proposer, verifier] of cases) {
    const out = step(emptyState(), { spec: spec(), demand: [d], now: 0 });
    assert.equal(pool(out, 1, "proposer").replicas, proposer, name);
    assert.equal(pool(out, 1, "verifier").replicas, verifier, name);
    assert.equal(pool(out, 2, "proposer").replicas, 1, `${name}: an idle bin stays at min`);
  }
});

test("cost fallbacks: measured, then calibrated per level, else minReplicas", () => {
  const calibrated = spec((s) => {
    const b1 = s.bins[0];
    if (!b1) throw new Error("no bin 1");
    // Level 1 (16 generations) is what default-budget requests get.
    Object.assign(b1.strategies[1] as object, { proposerTokens: 1400, verifierTokens: 700 });
  });
  const cases: Array<[string, TestTimePolicySpec, BinDemand, number, string, string]> = [
    ["neither: minReplicas", spec(), { bin: 1, requestsPerSecond: 5 }, 1, "no_cost", "none"],
    [
      "calibrated level costs",
      calibrated,
      { bin: 1, requestsPerSecond: 5 },
      10,
      "scale_up",
      "calibrated",
    ],
    ["measured costs win", calibrated, demand(1, 5), 5, "scale_up", "measured"],
  ];
  for (const [name, s, d, replicas, reason, source] of cases) {
    const p = pool(step(emptyState(), { spec: s, demand: [d], now: 0 }), 1, "proposer");
    assert.equal(p.replicas, replicas, name);
    assert.equal(p.reason, reason, name);
    assert.equal(p.costSource, source, name);
  }
});

test("measured costs are remembered while a bin is idle", () => {
  const s = spec((x) => {
    x.scaling.stabilizationSeconds = 0;
  });
  let out = step(emptyState(), { spec: s, demand: [demand(1, 4)], now: 0 });
  assert.equal(pool(out, 1, "proposer").replicas, 4);
  out = step(out.state, { spec: s, demand: [{ bin: 1, requestsPerSecond: 2 }], now: 10 });
  assert.equal(pool(out, 1, "proposer").costSource, "measured");
  assert.equal(pool(out, 1, "proposer").replicas, 3, "2 req/s × 1.1 margin at the old cost");
});

interface TickCase {
  t: number;
  rps: number | undefined;
  replicas: number;
  reason: string;
}

function runTicks(s: TestTimePolicySpec, ticks: TickCase[], bin = 1): PlannerState {
  let state = emptyState();
  for (const tick of ticks) {
    const d = tick.rps === undefined ? undefined : [demand(bin, tick.rps)];
    const out = step(state, { spec: s, demand: d, now: tick.t });
    for (const role of ["proposer", "verifier"] as const) {
      const p = pool(out, bin, role);
      assert.equal(p.replicas, tick.replicas, `t=${tick.t} ${role} replicas`);
      assert.equal(p.reason, tick.reason, `t=${tick.t} ${role} reason`);
    }
    state = out.state;
  }
  return state;
}

test("scenario: up at once, down only after the stabilisation window", () => {
  runTicks(spec(), [
    { t: 0, rps: 1, replicas: 1, reason: "steady" },
    { t: 5, rps: 6, replicas: 6, reason: "scale_up" },
    { t: 10, rps: 6, replicas: 6, reason: "steady" },
    { t: 15, rps: 2, replicas: 6, reason: "scale_down_delayed" },
    { t: 45, rps: 2, replicas: 6, reason: "scale_down_delayed" },
    { t: 75, rps: 2, replicas: 3, reason: "scale_down" },
    { t: 80, rps: 2, replicas: 3, reason: "steady" },
  ]);
});

test("scenario: a configured step limits each scale-up", () => {
  const s = spec((x) => {
    x.scaling.maxScaleUpStep = 2;
  });
  runTicks(s, [
    { t: 0, rps: 7, replicas: 3, reason: "scale_up_limited" },
    { t: 5, rps: 7, replicas: 5, reason: "scale_up_limited" },
    { t: 10, rps: 7, replicas: 7, reason: "scale_up" },
    { t: 15, rps: 7, replicas: 7, reason: "steady" },
  ]);
});

test("scenario: minReplicas 0 scales a bin from zero and back to zero", () => {
  const s = spec((x) => {
    for (const b of x.bins) {
      b.proposer.minReplicas = 0;
      b.verifier.minReplicas = 0;
    }
  });
  runTicks(s, [
    { t: 0, rps: 0, replicas: 0, reason: "no_cost" },
    { t: 5, rps: 0.2, replicas: 1, reason: "scale_up" },
    { t: 10, rps: 0, replicas: 1, reason: "scale_down_delayed" },
    { t: 75, rps: 0, replicas: 0, reason: "scale_down" },
  ]);
});

test("scenario: unknown demand holds the plan", () => {
  runTicks(spec(), [
    { t: 0, rps: 4, replicas: 4, reason: "scale_up" },
    { t: 500, rps: undefined, replicas: 4, reason: "steady" },
  ]);
});

test("a noisy but steady demand never flaps", () => {
  const rand = seeded(7);
  const s = spec();
  let state = emptyState();
  const history: number[] = [];
  const reasons = new Set<string>();
  // 2 hours at one report every 5 s: 8 req/s ± 10% uniform noise, plus Poisson-like bursts.
  for (let t = 0; t < 7200; t += 5) {
    const rps = 8 * (1 + 0.2 * (rand() - 0.5)) + (rand() < 0.02 ? 0.5 : 0);
    const out = step(state, { spec: s, demand: [demand(1, rps)], now: t });
    history.push(pool(out, 1, "proposer").replicas);
    reasons.add(pool(out, 1, "proposer").reason);
    state = out.state;
  }
  const changes = history.filter((r, i) => i > 0 && r !== history[i - 1]).length;
  const downs = history.filter((r, i) => i > 0 && r < (history[i - 1] as number)).length;
  assert.equal(downs, 0, `scaled down ${downs} times: ${history.join(",")}`);
  assert.ok(changes <= 2, `changed ${changes} times`);
  assert.ok(!reasons.has("scale_down"));
});

test("budget: levels are lowered to fit, maximising demand-weighted accuracy", () => {
  // Level 0 everywhere needs 10 GPUs, one bin at level 1 needs 14: the budget decides which.
  const acc = [
    [0.8, 0.9, 0.95],
    [0.3, 0.6, 0.7],
    [0.1, 0.2],
  ];
  const s = spec((x) => {
    x.budget.gpus = 14;
    x.bins.forEach((b, i) => {
      b.strategies.forEach((l, j) => {
        Object.assign(l, {
          expectedAccuracy: acc[i]?.[j],
          proposerTokens: 350 * 2 ** j,
          verifierTokens: 175 * 2 ** j,
        });
      });
    });
  });
  // Bin 3's nominal level is 0 (16 generations is its first level).
  const d: BinDemand[] = [
    { bin: 1, requestsPerSecond: 4 },
    { bin: 2, requestsPerSecond: 4 },
    { bin: 3, requestsPerSecond: 2 },
  ];
  const out = step(emptyState(), { spec: s, demand: d, now: 0 });
  assert.equal(out.budgetLimited, true);
  assert.ok(out.gpus <= 14, `${out.gpus} GPUs`);
  const levels = out.maxLevels.map((l) => l.maxLevel);
  // Brute force over the nominal-or-lower levels with the same sizing.
  const gpusAt = (rps: number, level: number) => 2 * Math.ceil((rps * 350 * 2 ** level) / 700);
  let best = { value: -1, levels: [] as number[] };
  for (const l1 of [0, 1])
    for (const l2 of [0, 1]) {
      const gpus = gpusAt(4, l1) + gpusAt(4, l2) + gpusAt(2, 0);
      const value = 4 * (acc[0]?.[l1] ?? 0) + 4 * (acc[1]?.[l2] ?? 0) + 2 * (acc[2]?.[0] ?? 0);
      if (gpus <= 14 && value > best.value) best = { value, levels: [l1, l2, 0] };
    }
  assert.deepEqual(levels, best.levels);
  assert.deepEqual(levels, [0, 1, 0], "bin 2 gains most from its higher level");
  for (const l of out.maxLevels) assert.equal(l.reason, "budget_capped");
  const capped = out.reasons.filter((r) => r.reason === "budget_capped" && r.role === undefined);
  assert.equal(capped.length, 3, "one level decision per bin");
});

test("budget: within budget, no caps are published", () => {
  const out = step(emptyState(), { spec: spec(), demand: [demand(1, 2)], now: 0 });
  assert.equal(out.budgetLimited, false);
  assert.deepEqual(
    out.maxLevels.map((l) => [l.maxLevel, l.level, l.reason]),
    [
      [undefined, 1, "uncapped"],
      [undefined, 1, "uncapped"],
      [undefined, 0, "uncapped"],
    ],
  );
});

test("budget: when even the cheapest levels do not fit, replicas are cut to the budget", () => {
  const s = spec((x) => {
    x.budget.gpus = 8;
  });
  const out = step(emptyState(), { spec: s, demand: [demand(1, 10)], now: 0 });
  assert.equal(out.gpus, 8);
  assert.equal(out.maxLevels[0]?.reason, "budget_exceeded");
  assert.equal(out.maxLevels[0]?.maxLevel, 0);
  assert.equal(pool(out, 1, "proposer").reason, "budget_capped");
  assert.equal(pool(out, 2, "proposer").replicas, 1, "other bins keep their minimum");
});

test("a budget squeeze lowers levels at once, and they come back only after the window", () => {
  const s = spec((x) => {
    x.budget.gpus = 10;
  });
  let out = step(emptyState(), { spec: s, demand: [demand(1, 2)], now: 0 });
  assert.equal(out.budgetLimited, false);
  out = step(out.state, { spec: s, demand: [demand(1, 5)], now: 5 });
  assert.equal(out.budgetLimited, true);
  assert.equal(out.maxLevels[0]?.maxLevel, 0);
  // Capped at level 0 (4 of 16 generations), routers measure a quarter of the cost.
  const atLevel0 = demand(1, 1, 175, 87.5);
  out = step(out.state, { spec: s, demand: [atLevel0], now: 10 });
  assert.equal(out.maxLevels[0]?.maxLevel, 0, "held until the window passes");
  out = step(out.state, { spec: s, demand: [atLevel0], now: 75 });
  assert.equal(out.budgetLimited, false);
  assert.equal(out.maxLevels[0]?.maxLevel, undefined);
  assert.ok(out.reasons.some((r) => r.bin === 1 && r.reason === "uncapped" && r.from === 0));
});

test("scale from zero: demand or a waiting request gets a bin a replica even without costs", () => {
  const s = spec((x) => {
    for (const b of x.bins) {
      b.proposer.minReplicas = 0;
      b.verifier.minReplicas = 0;
    }
  });
  const cases: Array<[string, BinDemand, number]> = [
    ["idle, no costs", { bin: 2, requestsPerSecond: 0 }, 0],
    ["requests arriving, no costs yet", { bin: 2, requestsPerSecond: 0.1 }, 1],
    ["a request waiting for a replica", { bin: 2, requestsPerSecond: 0, waitingForReplica: 1 }, 1],
  ];
  for (const [name, d, replicas] of cases) {
    const out = step(emptyState(), { spec: s, demand: [d], now: 0 });
    assert.equal(pool(out, 2, "proposer").replicas, replicas, name);
    assert.equal(pool(out, 2, "verifier").replicas, replicas, name);
  }
});

test("measured costs are attributed to the levels the routers say requests ran at", () => {
  // 5 req/s all at level 0 (4 generations) costing 175 proposer tokens: level 1 (16) costs 700.
  const d: BinDemand = { ...demand(1, 5, 175, 87.5), requestsPerSecondByLevel: [5, 0, 0] };
  const out = step(emptyState(), { spec: spec(), demand: [d], now: 0 });
  assert.equal(pool(out, 1, "proposer").tokensPerRequest, 700);
  assert.equal(pool(out, 1, "proposer").replicas, 5);
});
