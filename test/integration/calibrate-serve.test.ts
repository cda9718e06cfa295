// The integration test: calibrate against the sim over HTTP (measure.ts through the
// router's own clients, select.ts), write router-config.yaml (router-config-out.ts), load it with
// the router's loader, and serve problems the calibration never saw through the router over
// gRPC. The table the router runs is the one calibration chose, the probe stays inside the
// budget, and the held-out accuracy agrees with the cross-validated estimate; best-of-N served
// the same way is the baseline it is reported against.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { clone } from "@bufbuild/protobuf";
import { resolveFleet } from "../../calibrate/fleet-source.ts";
import { defaultGrid } from "../../calibrate/grid.ts";
import { measureProblems } from "../../calibrate/measure.ts";
import {
  calibratedRouterConfig,
  calibratedSnapshot,
  routerConfigYaml,
} from "../../calibrate/router-config-out.ts";
import { type Selection, select, wilson } from "../../calibrate/select.ts";
import { type PolicySnapshot, PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Router, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import { sameAnswer } from "../../router/engine/equivalence.ts";
import { strategyName } from "../../router/engine/table.ts";
import { createClient, type ServiceClient } from "../../router/grpc/adapter.ts";
import { StaticPolicySource } from "../../router/policy/policy-source.ts";
import { parseRouterConfig } from "../../router/policy/router-config.ts";
import { type RunningRouter, startRouter } from "../../router/router-process.ts";
import { makeDataset } from "../../sim/dataset.ts";
import { type Fleet, startFleet } from "../../sim/fleet.ts";

const budgets = [4, 16];
const bins = 3;
const probeSamples = 4;

let sim: Fleet;
let router: RunningRouter;
let client: ServiceClient<typeof Router>;
let selection: Selection;
let calibrated: PolicySnapshot;
let heldOut: { id: string; problem: string; answer: string }[];

before(async () => {
  sim = await startFleet({ bins: 1, seed: 7 });
  const pool = sim.bins[0];
  assert.ok(pool);
  const fleet = await resolveFleet({
    proposer: pool.proposer.endpoints,
    verifier: pool.verifier.endpoints,
  });
  const train = makeDataset({ count: 90, seed: 801 });
  const seen = new Set(train.map((p) => p.problem));
  heldOut = makeDataset({ count: 90, seed: 802 }).filter((p) => !seen.has(p.problem));
  const grid = defaultGrid(budgets);
  const measured = await measureProblems({
    problems: train,
    fleet,
    grid,
    bins,
    probeSamples,
    oracleSamples: 0,
    concurrency: 8,
  });
  selection = select(measured.problems, grid, { bins });

  const snapshot = calibratedSnapshot(fleet.policy, selection, { probeSamples, name: "math" });
  const yaml = routerConfigYaml(
    calibratedRouterConfig(snapshot, { proposer: fleet.proposer, verifier: fleet.verifier }),
  );
  const [loaded] = parseRouterConfig(yaml, "router-config.yaml");
  assert.ok(loaded);
  calibrated = loaded;
  // The baseline on the same pools, probe and thresholds: best-of-N at every level.
  const bestOfN = clone(PolicySnapshotSchema, loaded);
  bestOfN.name = "best-of-n";
  for (const bin of bestOfN.binTable) {
    for (const level of bin.levels) {
      level.strategy = Strategy.bestOfN;
      level.beamWidth = 0;
      level.lookahead = 0;
      level.sequentialRatio = 0;
    }
  }
  router = await startRouter({
    policies: new StaticPolicySource([calibrated, bestOfN]),
    engine: createEngine(),
    host: "127.0.0.1",
    port: 0,
    defaultMetrics: false,
    shutdownGraceMs: 2_000,
  });
  client = createClient(Router, `127.0.0.1:${router.port}`);
});

after(async () => {
  client?.close();
  await router?.shutdown(1_000);
  await sim?.stop();
});

interface Served {
  correct: boolean;
  bin: number;
  strategy: string | undefined;
  level: number;
  generations: number;
  probeOnly: boolean;
}

async function serve(policy: string, budget: number): Promise<Served[]> {
  const out: Served[] = [];
  // A few at a time: the sim's replicas queue like vLLM's.
  for (let i = 0; i < heldOut.length; i += 8) {
    const batch = heldOut.slice(i, i + 8).map(async (p) => {
      const r = await client.solve(
        {
          policy,
          prompt: p.problem,
          requestId: `held-out-${p.id}`,
          budget: { maxGenerations: budget },
        },
        { timeoutMs: 60_000 },
      );
      return {
        correct: sameAnswer(r.answer, p.answer),
        bin: r.bin,
        strategy: strategyName(r.config?.strategy ?? 0),
        level: r.budgetLevel,
        generations: r.usage?.generations ?? 0,
        probeOnly: r.probeOnly,
      };
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

const accuracy = (s: readonly Served[]) => s.filter((x) => x.correct).length / s.length;

test("the router serves the calibrated table on held-out problems as calibration estimated", async (t) => {
  assert.ok(heldOut.length >= 60, `${heldOut.length} held-out problems`);
  for (const [level, budget] of budgets.entries()) {
    const optimal = await serve("math", budget);
    const bestOfN = await serve("best-of-n", budget);
    for (const s of optimal) {
      // The table's own level for the bin the router's probe chose, inside the budget.
      assert.ok(s.bin >= 1 && s.bin <= bins);
      assert.equal(s.level, level);
      const chosen = selection.bins[s.bin - 1]?.chosen[level];
      // Unless the probe took the whole budget (then the answer is its samples' vote).
      assert.ok(
        s.probeOnly || s.strategy === chosen?.spec.strategy,
        `bin ${s.bin} at N=${budget}: ran ${s.strategy}, calibrated ${chosen?.spec.strategy}`,
      );
      assert.ok(s.generations >= 1 && s.generations <= budget, `${s.generations} generations`);
    }
    const point = selection.overall[level];
    assert.ok(point);
    const held = accuracy(optimal);
    const heldCi = wilson(Math.round(held * optimal.length), optimal.length);
    t.diagnostic(
      `N=${budget}: compute-optimal held out ${(held * 100).toFixed(1)}% (CV ${(point.optimal * 100).toFixed(1)}%), ` +
        `best-of-N held out ${(accuracy(bestOfN) * 100).toFixed(1)}% (calibration ${(point.bestOfN * 100).toFixed(1)}%), ` +
        `generations ${mean(optimal).toFixed(1)} vs ${mean(bestOfN).toFixed(1)}, ${optimal.length} problems`,
    );
    // Two estimates of one accuracy from different problems: their 95% intervals overlap.
    assert.ok(
      heldCi[0] <= point.optimalCi95[1] && point.optimalCi95[0] <= heldCi[1],
      `held out ${heldCi} against CV ${point.optimalCi95}`,
    );
    // What calibration is for: on problems it never saw, the table does no worse than best-of-N
    // at the same budget.
    assert.ok(held >= accuracy(bestOfN), `N=${budget}: ${held} against ${accuracy(bestOfN)}`);
  }
  assert.deepEqual(calibrated.thresholds, selection.thresholds);
});

const mean = (s: readonly Served[]) => s.reduce((sum, x) => sum + x.generations, 0) / s.length;
