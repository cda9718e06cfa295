// `mull demo --calibrate`: the demo's table from the same code path as `mull calibrate`
// (calibrate/run.ts and write.ts), on the embedded default: a simulated fleet over HTTP and
// problems from the sim's generator under their own seed, never the ones the demo scores. It
// writes calibrate's outputs (report, plots, the policy patch whose expected accuracies the
// planner bench reads) to demo/calibration/ and the bare table to demo/policy.yaml.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dataset } from "../calibrate/dataset.ts";
import { fleetFor } from "../calibrate/fleet.ts";
import { defaultGrid } from "../calibrate/grid.ts";
import { measureProgress } from "../calibrate/progress.ts";
import { calibratedSnapshot, snapshotYaml } from "../calibrate/router-config-out.ts";
import { runCalibration } from "../calibrate/run.ts";
import { type Outputs, PATCH_FILE, writeOutputs } from "../calibrate/write.ts";
import { speedConfig } from "../sim/batch-scheduler.ts";
import { makeDataset } from "../sim/dataset.ts";
import { startFleet } from "../sim/fleet.ts";
import { loadTable, OPTIMAL, POLICY_FILE } from "./policies.ts";

export const CALIBRATION_DIR = new URL("./calibration/", import.meta.url);
export const CALIBRATION_PATCH = new URL(PATCH_FILE, CALIBRATION_DIR);

export interface DemoCalibrationOptions {
  problems: number;
  seed: number;
  bins: number;
  budgets: readonly number[];
  probeSamples: number;
  oracleSamples: number;
  folds: number;
  concurrency: number;
  out: string;
  policyFile: string;
  // Default: under the user's cache directory, so a rerun asks the fleet nothing.
  cacheDir: string;
  // Where the policy-wide settings (formats, aggregation, budgets) come from.
  base: URL;
}

export const DEMO_CALIBRATION: DemoCalibrationOptions = {
  problems: 400,
  seed: 90_001,
  bins: 5,
  budgets: [4, 16, 64],
  probeSamples: 4,
  oracleSamples: 16,
  folds: 2,
  concurrency: 16,
  out: fileURLToPath(CALIBRATION_DIR),
  policyFile: fileURLToPath(POLICY_FILE),
  cacheDir: join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mull", "demo"),
  base: POLICY_FILE,
};

// The sim's generated problems as a calibration dataset; its hash names the generator's seed
// and count, as a file's hash names its bytes.
export function simDataset(count: number, seed: number): Dataset {
  const problems = makeDataset({ count, seed }).map(({ id, problem, answer }) => ({
    id,
    problem,
    answer,
  }));
  const jsonl = problems.map((p) => JSON.stringify(p)).join("\n");
  return {
    path: `the sim's generator (seed ${seed}, ${count} problems)`,
    sha256: createHash("sha256").update(jsonl).digest("hex"),
    problems,
  };
}

export async function calibrateDemo(o: DemoCalibrationOptions): Promise<Outputs> {
  const base = loadTable(o.base);
  base.name = OPTIMAL;
  base.namespace = "demo";
  // Only its policy-wide settings: the bins and their tables are what this run replaces.
  base.bins = o.bins;
  base.binTable = [];
  const sim = await startFleet({ bins: 1, replicas: 2, speed: speedConfig(0), seed: 7 });
  try {
    const pools = sim.bins[0];
    if (pools === undefined) throw new Error("the simulated fleet has no pools");
    const fleet = fleetFor("the simulated fleet", base, pools);
    const dataset = simDataset(o.problems, o.seed);
    const calibration = await runCalibration({
      dataset,
      fleet,
      grid: defaultGrid(o.budgets),
      bins: o.bins,
      folds: o.folds,
      probeSamples: o.probeSamples,
      oracleSamples: o.oracleSamples,
      concurrency: o.concurrency,
      cacheDir: o.cacheDir,
      onProgress: measureProgress(),
    });
    const outputs = await writeOutputs(o.out, {
      calibration,
      dataset,
      fleet,
      probeSamples: o.probeSamples,
    });
    const snapshot = calibratedSnapshot(base, calibration.selection, {
      probeSamples: o.probeSamples,
    });
    const header = [
      `Written by mull demo --calibrate from ${dataset.path}; report and plots in demo/calibration/.`,
      "",
      outputs.summary,
    ].join("\n");
    writeFileSync(o.policyFile, snapshotYaml(snapshot, header));
    outputs.files.push(o.policyFile);
    return outputs;
  } finally {
    await sim.stop();
  }
}
