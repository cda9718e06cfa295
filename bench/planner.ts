// `mull bench planner`: accuracy-weighted goodput under a fixed GPU budget on a trace whose
// difficulty mix shifts, the planner against the best static per-bin split of the same GPUs
// (bench/planner-goodput.ts), with the calibrated expected accuracies of demo/policy.yaml's
// calibration (demo/calibration/policy-patch.yaml).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { defaultedSpec } from "../controller/policy/defaults.ts";
import type { StrategyLevel, TestTimePolicySpec } from "../controller/policy/types.ts";
import { seeded } from "../controller/testing/random.ts";
import { CALIBRATION_PATCH } from "../demo/calibrate.ts";
import { loadTable } from "../demo/policies.ts";
import { strategyName } from "../router/engine/table.ts";
import {
  type FleetModel,
  type Outcome,
  type Phase,
  plannerController,
  simulate,
  staticController,
} from "./planner-goodput.ts";

/** Tokens one generation costs each role: a MATH solution is a few hundred tokens. */
const tokensPerGeneration = 400;

/**
 * Per bin and generations, the expected accuracy calibration measured: the cross-validated
 * accuracies in the policy patch `mull demo --calibrate` wrote beside demo/policy.yaml.
 */
export function calibratedAccuracies(patchYaml: string): Map<number, Map<number, number>> {
  const patch = parse(patchYaml) as {
    spec?: { bins?: { bin: number; strategies?: StrategyLevel[] }[] };
  };
  const chosen = new Map<number, Map<number, number>>();
  for (const bin of patch.spec?.bins ?? []) {
    const byN = new Map<number, number>();
    for (const level of bin.strategies ?? []) {
      if (level.expectedAccuracy !== undefined) byN.set(level.generations, level.expectedAccuracy);
    }
    chosen.set(bin.bin, byN);
  }
  return chosen;
}

export function benchSpec(gpus: number): TestTimePolicySpec {
  const table = loadTable();
  const accuracy = calibratedAccuracies(readFileSync(CALIBRATION_PATCH, "utf8"));
  return defaultedSpec({
    proposer: { model: "proposer", gpus: 1, capacityTokensPerSecond: 2500 },
    verifier: { model: "prm", gpus: 1, capacityTokensPerSecond: 5000 },
    difficulty: { bins: table.bins },
    budget: {
      defaultGenerations: table.defaultGenerations,
      maxGenerations: table.maxGenerations,
      gpus,
    },
    bins: table.binTable.map((b) => ({
      bin: b.bin,
      strategies: b.levels.map((l) => {
        const acc = accuracy.get(b.bin)?.get(l.generations);
        if (acc === undefined)
          throw new Error(`no calibrated accuracy for bin ${b.bin} N=${l.generations}`);
        const strategy = strategyName(l.strategy);
        if (strategy === undefined) throw new Error(`unknown strategy ${l.strategy}`);
        return {
          generations: l.generations,
          strategy,
          ...(l.beamWidth ? { beamWidth: l.beamWidth } : {}),
          ...(l.lookahead ? { lookahead: l.lookahead } : {}),
          ...(l.sequentialRatio ? { sequentialRatio: l.sequentialRatio } : {}),
          expectedAccuracy: acc,
          proposerTokens: l.generations * tokensPerGeneration,
          verifierTokens: l.generations * tokensPerGeneration,
        };
      }),
      proposer: { minReplicas: 1, maxReplicas: 40 },
      verifier: { minReplicas: 1, maxReplicas: 40 },
    })),
    scaling: { mode: "planner", targetUtilization: 0.8, stabilizationSeconds: 120 },
  });
}

/** 6 req/s in four 15-minute phases: mostly easy, even, mostly hard, mostly easy again. */
export function shiftingTrace(total = 6): Phase[] {
  const mix = (w: number[]) => w.map((x) => (x * total) / w.reduce((a, b) => a + b, 0));
  return [
    { seconds: 900, rates: mix([50, 25, 15, 7, 3]) },
    { seconds: 900, rates: mix([20, 20, 20, 20, 20]) },
    { seconds: 900, rates: mix([3, 7, 15, 25, 50]) },
    { seconds: 900, rates: mix([50, 25, 15, 7, 3]) },
  ];
}

function row(name: string, o: Outcome): string {
  const acc = o.served > 0 ? o.goodput / o.served : 0;
  return `  ${name.padEnd(14)} ${o.goodput.toFixed(3).padStart(9)} ${`${((100 * o.served) / o.arrived).toFixed(1)}%`.padStart(8)} ${`${(100 * acc).toFixed(1)}%`.padStart(9)} ${o.gpus.toFixed(1).padStart(9)}   ${o.meanLevel.map((l) => l.toFixed(2)).join(" ")}`;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      gpus: { type: "string", default: "24" },
      rate: { type: "string" },
      seed: { type: "string", default: "1" },
      steps: { type: "string", default: "3" },
      "demand-window": { type: "string", default: "10" },
      "skip-reaction": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: mull bench planner [--gpus 24] [--rate R (default: 3 and 6 req/s)] [--seed 1]\n" +
        "                         [--steps 3] [--demand-window 10] [--skip-reaction]\n" +
        "(the reaction part needs the e2e control plane and nats-server, started if none runs)\n",
    );
    return 0;
  }
  const gpus = Number(values.gpus);
  const spec = benchSpec(gpus);
  const seed = Number(values.seed);
  const rates = values.rate === undefined ? [3, 6] : [Number(values.rate)];
  for (const rate of rates) {
    const phases = shiftingTrace(rate);
    const model = (seed: number): FleetModel => ({
      spec,
      tickSeconds: 10,
      startupSeconds: 60,
      reportWindowSeconds: 30,
      rand: seeded(seed),
    });
    const planned = simulate(model(seed), phases, plannerController(spec));
    const fixed = simulate(model(seed), phases, staticController(spec, phases));
    process.stdout.write(
      `goodput under a ${gpus}-GPU budget, ${rate} req/s, difficulty mix easy → even → hard → easy (60 min, 10 s ticks)\n` +
        `  controller       correct/s   served  accuracy  mean GPUs   mean level per bin (0 = cheapest)\n` +
        `${row("planner", planned)}\n${row("static split", fixed)}\n` +
        `planner / static accuracy-weighted goodput: ${(planned.goodput / fixed.goodput).toFixed(2)}x\n\n`,
    );
  }
  if (values["skip-reaction"]) return 0;
  const { measureReaction } = await import("./planner-reaction.ts");
  const r = await measureReaction(Number(values.steps), Number(values["demand-window"]));
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] ?? Number.NaN;
  };
  const secs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(", ");
  const line = (k: string, xs: number[]) =>
    process.stdout.write(
      `  ${k.padEnd(46)} median ${(median(xs) / 1000).toFixed(2)} s   (${secs(xs)})\n`,
    );
  process.stdout.write(
    `reaction on the real control plane and nats-server (demand window ${r.demandWindowSeconds} s, reports every 1 s, step 0.5 → 3 req/s)\n`,
  );
  line("demand step → Deployment replicas written", r.replicasMs);
  line("baseline: minReplicas edit → replicas written", r.baselineMs);
  line("demand step → router ConfigMap max_level", r.configMapLevelMs);
  line("demand step → KV snapshot max_level (routers)", r.kvLevelMs);
  process.stdout.write(
    `demand-driven / spec-edit reaction: ${(median(r.replicasMs) / median(r.baselineMs)).toFixed(1)}x\n`,
  );
  return 0;
}
