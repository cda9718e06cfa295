// `mull demo`: the project's main job on its embedded default. A simulated vLLM fleet, the
// router serving the calibrated compute-optimal policy, a few hundred problems of mixed
// difficulty through gRPC, then the same problems with plain best-of-N: how many generations
// each needs for the same accuracy.
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { progressBar } from "../calibrate/progress.ts";
import { matchingPolicyFormats } from "../calibrate/sim-formats.ts";
import {
  type PolicySnapshot,
  PromptFormatSchema,
  VerifierFormatSchema,
} from "../proto/gen/mull/v1/fleet_pb.ts";
import { speedConfig } from "../sim/batch-scheduler.ts";
import { makeDataset } from "../sim/dataset.ts";
import { startFleet } from "../sim/fleet.ts";
import { BUILTIN_FORMATS, compileFormat, type SimFormatData } from "../sim/format.ts";
import { calibrateDemo, DEMO_CALIBRATION } from "./calibrate.ts";
import { BASELINE, bestOfNPolicy, loadTable, OPTIMAL, onFleet } from "./policies.ts";
import { type DemoResult, demoReport, formatDemo } from "./present.ts";
import { byBin, type CurvePoint, summarize } from "./report.ts";
import { serve } from "./serve.ts";
import { runWorkload } from "./workload.ts";

const USAGE = `usage: mull demo [options]        (npm run demo -- [options])

Starts a simulated vLLM fleet (one proposer and one PRM verifier pool per difficulty bin) and the
router with the calibrated compute-optimal policy (demo/policy.yaml), solves problems of mixed
difficulty through gRPC, then solves them again with plain best-of-N at a ladder of budgets, and
prints how many generations each approach needs for the same accuracy.

options:
  --problems N        problems to solve (default 300)
  --seed N            dataset and fleet seed (default 1)
  --replicas R        replicas per role per bin (default 2)
  --speed S           simulated throughput, 1 = a 1B model on one GPU; 0 = instant (default 4)
  --concurrency C     requests in flight (default 32)
  --format F          the simulated models' format (${Object.keys(BUILTIN_FORMATS).join(", ")}; default mull);
                      both policies are configured to match it
  --json              also print the result as one JSON object on the last line
  --calibrate         recompute the table as mull calibrate does, on the simulated fleet and
                      400 problems of its own (or --problems N): rewrites demo/policy.yaml and
                      demo/calibration/ (report.md, plots, policy-patch.yaml); samples are cached
                      in ~/.cache/mull/demo, so a rerun asks the fleet nothing
  --fleet             the control loop instead: the e2e control plane (built on first use), the
                      operator in planner mode and a router on the fleet bus, a simulated replica
                      per pod, and a demand trace whose difficulty mix shifts, shown live
  --phase-seconds S   with --fleet: length of each of the trace's four phases (default 60)
  -h, --help          this text
`;

const LADDER = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    process.stderr.write(`mull demo: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.fleet) {
    const { runFleetDemo } = await import("./fleet.ts");
    return runFleetDemo({
      phaseSeconds: Number(values["phase-seconds"] ?? 60),
      seed: Number(values.seed ?? 1),
    });
  }
  const numbers = {
    problems: Number(values.problems ?? 300),
    seed: Number(values.seed ?? 1),
    replicas: Number(values.replicas ?? 2),
    speed: Number(values.speed ?? 4),
    concurrency: Number(values.concurrency ?? 32),
  };
  for (const [name, n] of Object.entries(numbers)) {
    if (!Number.isFinite(n) || n < 0 || (name !== "speed" && !Number.isInteger(n))) {
      process.stderr.write(`mull demo: --${name} must be a non-negative number, got ${n}\n`);
      return 2;
    }
  }
  const format = BUILTIN_FORMATS[values.format ?? "mull"];
  if (format === undefined) {
    process.stderr.write(`mull demo: unknown --format "${values.format}"\n\n${USAGE}`);
    return 2;
  }
  return values.calibrate
    ? runCalibration(numbers, new Set(Object.keys(values)))
    : runDemo(numbers, values.json === true, format);
}

// The router's policy spelled in the sim's format, as a user configures it for their model.
function inFormat(policy: PolicySnapshot, format: SimFormatData): PolicySnapshot {
  const { prompt, verifierFormat } = matchingPolicyFormats(format);
  policy.prompt = create(PromptFormatSchema, prompt);
  policy.verifierFormat = create(VerifierFormatSchema, verifierFormat);
  return policy;
}

async function runDemo(
  o: Record<string, number>,
  json: boolean,
  format: SimFormatData,
): Promise<number> {
  const table = loadTable();
  const fleet = await startFleet({
    bins: table.bins,
    replicas: o.replicas,
    speed: speedConfig(o.speed ?? 0),
    seed: o.seed,
    formats: [compileFormat(format)],
  });
  try {
    const problems = makeDataset({ count: o.problems ?? 0, seed: o.seed });
    process.stderr.write(
      `Mull demo: ${problems.length} problems on a simulated fleet of ${table.bins} bins × ` +
        `${o.replicas} replicas per role\n`,
    );
    const optimal = await serve([inFormat(onFleet(table, fleet), format)]);
    const optimalOutcomes = await runWorkload({
      client: optimal.client,
      policy: OPTIMAL,
      problems,
      run: "optimal",
      concurrency: o.concurrency ?? 1,
      progress: progressBar("compute-optimal", problems.length),
    }).finally(() => optimal.close());
    const optimalSummary = summarize(optimalOutcomes);

    // Plain best-of-N never probes and never stops early: what a router without Mull does.
    const sameBudget = Math.max(1, Math.round(optimalSummary.generationsPerProblem));
    const ladder = [...new Set([...LADDER, sameBudget])].sort((a, b) => a - b);
    const baseline = await serve([inFormat(bestOfNPolicy(fleet, ladder), format)], {
      earlyStopping: { rule: "off", rounds: 1 },
    });
    const curve: CurvePoint[] = [];
    try {
      for (const n of ladder) {
        const outcomes = await runWorkload({
          client: baseline.client,
          policy: BASELINE,
          problems,
          run: `best-of-${n}`,
          maxGenerations: n,
          difficultyHint: 1,
          concurrency: o.concurrency ?? 1,
          progress: progressBar(`best-of-${n}`, problems.length),
        });
        curve.push({ generations: n, accuracy: summarize(outcomes).accuracy });
      }
    } finally {
      await baseline.close();
    }
    const result: DemoResult = demoReport(
      optimalSummary,
      byBin(optimalOutcomes),
      curve,
      sameBudget,
    );
    process.stdout.write(formatDemo(result));
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await fleet.stop();
  }
}

// The same calibration as `mull calibrate` (calibrate/run.ts) on the simulated fleet.
async function runCalibration(o: Record<string, number>, given: Set<string>): Promise<number> {
  const outputs = await calibrateDemo({
    ...DEMO_CALIBRATION,
    ...(given.has("problems") ? { problems: o.problems ?? 0 } : {}),
    ...(given.has("concurrency") ? { concurrency: o.concurrency ?? 1 } : {}),
  });
  process.stdout.write(`${outputs.summary}\nwrote ${outputs.files.join(", ")}\n`);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      problems: { type: "string" },
      seed: { type: "string" },
      replicas: { type: "string" },
      speed: { type: "string" },
      concurrency: { type: "string" },
      format: { type: "string" },
      json: { type: "boolean" },
      calibrate: { type: "boolean" },
      fleet: { type: "boolean" },
      "phase-seconds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
