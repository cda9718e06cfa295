// `mull bench calibrate`: `mull calibrate`'s path (calibrate/run.ts) against the simulated fleet
// over HTTP, from bare URLs as a user would give them, then its table served by the router over
// gRPC on problems the calibration never saw. Printed against baselines measured in the same run:
// - compute-optimal held out (the probe charged: usage.generations counts it) beside its CV
//   estimate, against plain best-of-N (no probe, no early stop) at the same budget;
// - the efficiency: best-of-N's held-out generations for compute-optimal's held-out accuracy,
//   over compute-optimal's, from best-of-N's ladder 1..256;
// - the wall time of a second calibration on the first one's cache over the first's, and the
//   cache's hit rate on it (the second run must pick the same table, or the bench fails).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hitRate } from "../calibrate/cache.ts";
import { resolveFleet } from "../calibrate/fleet-source.ts";
import { defaultGrid, parseBudgets } from "../calibrate/grid.ts";
import { measureProgress, progressBar } from "../calibrate/progress.ts";
import { efficiency, percent, withCi } from "../calibrate/report/format.ts";
import {
  calibratedRouterConfig,
  calibratedSnapshot,
  routerConfigYaml,
} from "../calibrate/router-config-out.ts";
import { type Calibration, runCalibration } from "../calibrate/run.ts";
import { efficiencyAt, type Selection, wilson } from "../calibrate/select.ts";
import { simDataset } from "../demo/calibrate.ts";
import { bestOfNLadder } from "../demo/policies.ts";
import { summarize } from "../demo/report.ts";
import { serve } from "../demo/serve.ts";
import { type Outcome, runWorkload } from "../demo/workload.ts";
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import type { EngineOptionsInput } from "../router/engine/options.ts";
import { parseRouterConfig } from "../router/policy/router-config.ts";
import { speedConfig } from "../sim/batch-scheduler.ts";
import { type DatasetItem, makeDataset } from "../sim/dataset.ts";
import { startFleet } from "../sim/fleet.ts";

const LADDER = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const PROBE_SAMPLES = 4;

const USAGE = `usage: mull bench calibrate [--train N] [--held-out N] [--budgets 4,16,64] [--bins B]
                           [--seed S] [--concurrency C] [--json]

Calibrates on --train sim problems (default 200; --budgets default 4,16,64, the default grid,
--bins default 4, 2 folds, probe ${PROBE_SAMPLES}, oracle 16) against a simulated fleet of 2 replicas per
role over HTTP, twice on one cache; then serves the table through the router on --held-out other
problems (default 200) and plain best-of-N at N = ${LADDER.join(", ")} on the same ones.
`;

interface Options {
  train: number;
  heldOut: number;
  budgets: number[];
  bins: number;
  seed: number;
  concurrency: number;
  json: boolean;
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      train: { type: "string" },
      "held-out": { type: "string" },
      budgets: { type: "string" },
      bins: { type: "string" },
      seed: { type: "string" },
      concurrency: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) throw new HelpRequested();
  const int = (name: string, text: string | undefined, fallback: number, min: number) => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  return {
    train: int("train", values.train, 200, 20),
    heldOut: int("held-out", values["held-out"], 200, 10),
    budgets: parseBudgets(values.budgets ?? "4,16,64"),
    bins: int("bins", values.bins, 4, 1),
    seed: int("seed", values.seed, 11, 0),
    concurrency: int("concurrency", values.concurrency, 16, 1),
    json: values.json ?? false,
  };
}

class HelpRequested extends Error {}

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parse(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(USAGE);
      return 0;
    }
    process.stderr.write(`mull bench calibrate: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const sim = await startFleet({ bins: 1, replicas: 2, speed: speedConfig(0), seed: o.seed });
  const cacheDir = mkdtempSync(join(tmpdir(), "mull-bench-calibrate-"));
  try {
    const pools = sim.bins[0];
    if (pools === undefined) throw new Error("the simulated fleet has no pools");
    const fleet = await resolveFleet({
      proposer: pools.proposer.endpoints,
      verifier: pools.verifier.endpoints,
    });
    const dataset = simDataset(o.train, o.seed);
    const seen = new Set(dataset.problems.map((p) => p.problem));
    const heldOut = makeDataset({ count: o.heldOut, seed: o.seed + 1 }).filter(
      (p) => !seen.has(p.problem),
    );
    const calibrate = async () => {
      const started = performance.now();
      const calibration = await runCalibration({
        dataset,
        fleet,
        grid: defaultGrid(o.budgets),
        bins: o.bins,
        folds: 2,
        probeSamples: PROBE_SAMPLES,
        oracleSamples: 16,
        concurrency: o.concurrency,
        cacheDir,
        onProgress: measureProgress(),
      });
      return { calibration, seconds: (performance.now() - started) / 1000 };
    };
    const first = await calibrate();
    const second = await calibrate();
    if (tableKey(first.calibration.selection) !== tableKey(second.calibration.selection)) {
      process.stderr.write(
        "mull bench calibrate: the second run on the same cache chose another table\n",
      );
      return 1;
    }
    const selection = first.calibration.selection;

    const [policy] = parseRouterConfig(
      routerConfigYaml(
        calibratedRouterConfig(
          calibratedSnapshot(fleet.policy, selection, {
            probeSamples: PROBE_SAMPLES,
            name: "compute-optimal",
          }),
          { proposer: fleet.proposer, verifier: fleet.verifier },
        ),
      ),
      "router-config.yaml",
    );
    if (policy === undefined) throw new Error("router-config.yaml holds no policy");
    // With the engine's defaults, as calibration measured it: probe, early stopping.
    const optimal = await served(policy, heldOut, o.budgets, o, {
      label: (n) => `compute-optimal N=${n}`,
    });
    // What a router without Mull does: never probes, never stops early.
    const baseline = bestOfNLadder(policy, LADDER, policy.binTable[0] ?? {});
    const ladder = await served(baseline, heldOut, LADDER, o, {
      label: (n) => `best-of-${n}`,
      engine: { earlyStopping: { rule: "off", rounds: 1 } },
      difficultyHint: 1,
    });
    const result = report(o, selection, optimal, ladder, first, second, heldOut.length);
    process.stdout.write(result.text);
    if (o.json) process.stdout.write(`${JSON.stringify(result.json)}\n`);
    return 0;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    await sim.stop();
  }
}

// The table as the router would serve it: thresholds and each bin's configs.
function tableKey(s: Selection): string {
  return JSON.stringify({
    thresholds: s.thresholds,
    bins: s.bins.map((b) => b.chosen.map((c) => [c.budget, c.spec])),
  });
}

interface Point {
  budget: number;
  accuracy: number;
  ci95: [number, number];
  generations: number;
}

function point(budget: number, outcomes: readonly Outcome[]): Point {
  const { accuracy, generationsPerProblem, problems } = summarize(outcomes);
  return {
    budget,
    accuracy,
    ci95: wilson(Math.round(accuracy * problems), problems),
    generations: generationsPerProblem,
  };
}

interface Serving {
  label: (budget: number) => string;
  engine?: EngineOptionsInput;
  difficultyHint?: number;
}

// Every problem at every budget through a router serving `policy`.
async function served(
  policy: PolicySnapshot,
  problems: readonly DatasetItem[],
  budgets: readonly number[],
  o: Options,
  how: Serving,
): Promise<Point[]> {
  const router = await serve([policy], how.engine);
  try {
    const points: Point[] = [];
    for (const budget of budgets) {
      const outcomes = await runWorkload({
        client: router.client,
        policy: policy.name,
        problems,
        run: how.label(budget),
        maxGenerations: budget,
        ...(how.difficultyHint ? { difficultyHint: how.difficultyHint } : {}),
        concurrency: o.concurrency,
        progress: progressBar(how.label(budget), problems.length),
      });
      points.push(point(budget, outcomes));
    }
    return points;
  } finally {
    await router.close();
  }
}

interface Timed {
  calibration: Calibration;
  seconds: number;
}

function report(
  o: Options,
  selection: Selection,
  optimal: readonly Point[],
  bestOfN: readonly Point[],
  first: Timed,
  second: Timed,
  heldOut: number,
) {
  const curve = bestOfN.map((p) => ({ generations: p.generations, accuracy: p.accuracy }));
  const rows = optimal.map((p, i) => {
    const cv = selection.overall[i];
    const same = bestOfN.find((b) => b.budget === p.budget);
    const e = efficiencyAt({ generations: p.generations, optimal: p.accuracy }, curve);
    return { ...p, cv: cv?.optimal ?? 0, cvCi95: cv?.optimalCi95, bestOfN: same, efficiency: e };
  });
  const top = [...rows].sort((a, b) => b.efficiency.value - a.efficiency.value)[0];
  const secondRate = second.calibration.cache ? hitRate(second.calibration.cache) : 0;
  const fresh = (t: Timed) => t.calibration.cache?.proposer.misses ?? 0;
  const lines = [
    `mull bench calibrate: sim fleet over HTTP (2 replicas per role), ${o.train} training problems ` +
      `(seed ${o.seed}), ${heldOut} held out (seed ${o.seed + 1}), ${o.bins} bins, 2-fold CV`,
    `calibration: first run ${first.seconds.toFixed(1)} s (${fresh(first)} fresh samples), ` +
      `second on its cache ${second.seconds.toFixed(1)} s (${fresh(second)} fresh, hit rate ` +
      `${percent(secondRate)}): ${(first.seconds / second.seconds).toFixed(1)}x faster, same table`,
    "",
    "budget  compute-optimal held out (probe charged)  CV estimate            best-of-N same N  efficiency",
    ...rows.map(
      (r) =>
        `N=${String(r.budget).padEnd(5)} ${withCi(r.accuracy, r.ci95).padEnd(26)} @ ${r.generations.toFixed(1).padStart(5)} gen  ` +
        `${(r.cvCi95 ? withCi(r.cv, r.cvCi95) : percent(r.cv)).padEnd(26)} ` +
        `${percent(r.bestOfN?.accuracy ?? 0).padEnd(17)} ${efficiency(r.efficiency)}`,
    ),
    "",
    `best-of-N held out: ${bestOfN.map((p) => `N=${p.budget} ${percent(p.accuracy)}`).join(", ")}`,
    top
      ? `efficiency: best-of-N needs ${efficiency(top.efficiency)} compute-optimal's generations for its held-out accuracy at N=${top.budget}`
      : "",
    "",
  ];
  return {
    text: lines.join("\n"),
    json: {
      budgets: o.budgets,
      optimal: rows.map((r) => r.accuracy),
      optimalGenerations: rows.map((r) => r.generations),
      cv: rows.map((r) => r.cv),
      bestOfN: rows.map((r) => r.bestOfN?.accuracy ?? 0),
      bestOfNLadder: bestOfN.map((p) => ({ budget: p.budget, accuracy: p.accuracy })),
      efficiency: top?.efficiency.value ?? 0,
      efficiencyIsLowerBound: rows.some((r) => r.efficiency.isLowerBound),
      efficiencyPerBudget: rows.map((r) => ({ budget: r.budget, ...r.efficiency })),
      firstRunSeconds: first.seconds,
      secondRunSeconds: second.seconds,
      secondRunHitRate: secondRate,
      heldOut,
    },
  };
}
