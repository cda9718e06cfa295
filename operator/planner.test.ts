import assert from "node:assert/strict";
import { test } from "node:test";
import type { BinDemand } from "../controller/planner/demand.ts";
import { encodeState } from "../controller/planner/state.ts";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import { plannablePolicy } from "../controller/testing/sample.ts";
import { createLogger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { PlannerRunner } from "./planner.ts";

function setup() {
  const demand = new Map<string, BinDemand[]>();
  let now = 1_000_000;
  const lines: string[] = [];
  const metrics = createMetrics();
  const runner = new PlannerRunner({
    demand: { demandFor: (ns, name) => demand.get(`${ns}/${name}`) },
    metrics,
    log: createLogger("info", {}, (l) => lines.push(l)),
    now: () => new Date(now * 1000),
  });
  return {
    runner,
    demand,
    metrics,
    lines,
    advance: (s: number) => {
      now += s;
    },
  };
}

const policy = (mode: "planner" | "manual" | "external" = "planner"): TestTimePolicy =>
  plannablePolicy(mode, { gpus: 100, maxReplicas: 8 }, (s) => {
    s.scaling.stabilizationSeconds = 60;
  });

const busy: BinDemand[] = [
  { bin: 1, requestsPerSecond: 2, proposerTokensPerRequest: 1400, verifierTokensPerRequest: 700 },
];

test("PlannerRunner: plans from the source's demand and exports demand and levels", async () => {
  const { runner, demand, metrics } = setup();
  demand.set("ns1/math", busy);
  const out = runner.plan(policy());
  assert.deepEqual(
    out?.pools.filter((p) => p.bin === 1).map((p) => p.replicas),
    [4, 2],
  );
  const text = await metrics.registry.metrics();
  assert.match(
    text,
    /mull_operator_demand_requests_per_second\{namespace="ns1",policy="math",bin="1"\} 2/,
  );
  assert.match(text, /mull_operator_bin_max_level\{namespace="ns1",policy="math",bin="1"\} 1/);
  assert.match(text, /mull_operator_planner_decisions_total\{reason="scale_up"\} 2/);
});

test("PlannerRunner: keeps its own newest state between reconciles", () => {
  const { runner, demand, advance } = setup();
  demand.set("ns1/math", busy);
  runner.plan(policy());
  demand.set("ns1/math", [{ bin: 1, requestsPerSecond: 0.1 }]);
  advance(10);
  runner.request("ns1/math");
  // The cached policy still has no status (our write has not come back): the scale-down waits.
  const out = runner.plan(policy());
  assert.equal(out?.pools[0]?.replicas, 4);
  assert.equal(out?.pools[0]?.reason, "scale_down_delayed");
});

test("PlannerRunner: a new leader resumes from status.planner instead of starting afresh", () => {
  const first = setup();
  first.demand.set("ns1/math", busy);
  const out = first.runner.plan(policy());
  const stored = policy();
  stored.status = { planner: encodeState(out?.state ?? { version: 1, bins: {} }) };

  const next = setup();
  next.demand.set("ns1/math", [{ bin: 1, requestsPerSecond: 0.1 }]);
  next.advance(10);
  const resumed = next.runner.plan(stored);
  assert.equal(resumed?.pools[0]?.replicas, 4, "held, not dropped to what 0.1 req/s needs");
  assert.equal(resumed?.reasons.length, 0, "no decision: nothing flapped");

  const fresh = setup();
  fresh.demand.set("ns1/math", [{ bin: 1, requestsPerSecond: 0.1 }]);
  assert.equal(fresh.runner.plan(policy())?.pools[0]?.replicas, 1);
});

test("PlannerRunner: a bad stored state is logged and replaced", () => {
  const { runner, lines } = setup();
  const p = policy();
  p.status = { planner: { version: 99 } };
  assert.ok(runner.plan(p));
  assert.ok(lines.some((l) => l.includes("planner state not restored")));
});

test("PlannerRunner: manual mode does not plan and drops the series", async () => {
  const { runner, demand, metrics } = setup();
  demand.set("ns1/math", busy);
  runner.plan(policy());
  assert.equal(runner.plan(policy("manual")), undefined);
  const text = await metrics.registry.metrics();
  assert.doesNotMatch(text, /mull_operator_demand_requests_per_second\{/);
  assert.ok(runner.plan(policy("external")), "external mode still plans (levels)");
});

test("PlannerRunner: steps only when due or the spec changed; other reconciles reuse the plan", () => {
  const { runner, demand, advance } = setup();
  demand.set("ns1/math", busy);
  const first = runner.plan(policy());
  assert.equal(first?.reasons.length, 2);
  demand.set("ns1/math", [{ ...busy[0], requestsPerSecond: 3 } as BinDemand]);
  advance(1);
  const reused = runner.plan(policy());
  assert.equal(reused?.pools[0]?.replicas, 4, "not due: the last plan");
  assert.equal(reused?.reasons.length, 0, "its decisions are not reported twice");
  runner.request("ns1/math");
  assert.equal(runner.plan(policy())?.pools[0]?.replicas, 6, "due: a new step");
  demand.set("ns1/math", busy);
  const edited = policy();
  edited.metadata.generation = 2;
  assert.equal(runner.plan(edited)?.pools[0]?.replicas, 6, "a spec change steps too (held demand)");
  assert.equal(runner.plan(edited)?.reasons.length, 0);
});

test("PlannerRunner: exports the expectedAccuracy of the level in force, and none without one", async () => {
  const { runner, demand, metrics } = setup();
  demand.set("ns1/math", busy);
  const withAccuracy = policy();
  const bin1 = withAccuracy.spec.bins.find((b) => b.bin === 1);
  assert.ok(bin1);
  bin1.strategies.forEach((l, i) => {
    l.expectedAccuracy = 0.5 + i / 10;
  });
  const out = runner.plan(withAccuracy);
  const level = out?.maxLevels.find((l) => l.bin === 1)?.level;
  assert.ok(level !== undefined);
  const series =
    /mull_operator_bin_expected_accuracy\{namespace="ns1",policy="math",bin="1"\} (\S+)/;
  assert.equal(Number(series.exec(await metrics.registry.metrics())?.[1]), 0.5 + level / 10);
  // The table edited to carry no accuracy (a new generation): the series goes.
  const without = policy();
  without.metadata.generation = 2;
  runner.plan(without);
  assert.doesNotMatch(await metrics.registry.metrics(), series);
});
