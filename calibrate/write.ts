// What `mull calibrate` writes into --out: policy-patch.yaml (server-side apply over the policy),
// router-config.yaml (the same table on the fleet's pools, for `mull router --config`), report.md
// with its plots, and the figures for --json and for the terminal. Nothing is written before the
// calibration succeeded: a run that lost too many samples throws earlier (measure.ts).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Dataset } from "./dataset.ts";
import type { Fleet } from "./fleet.ts";
import { type PolicyPatch, patchYaml, policyPatch } from "./patch.ts";
import { writeReport } from "./report/write.ts";
import {
  calibratedRouterConfig,
  calibratedSnapshot,
  routerConfigYaml,
} from "./router-config-out.ts";
import type { Calibration } from "./run.ts";
import { reportInput, type SummaryJson, summaryJson } from "./summary.ts";

export const PATCH_FILE = "policy-patch.yaml";
export const ROUTER_CONFIG_FILE = "router-config.yaml";

export interface OutputsInput {
  calibration: Calibration;
  dataset: Dataset;
  fleet: Fleet;
  probeSamples: number;
  // vLLM's --api-key files, named in router-config.yaml as `mull router` reads them.
  apiKeyFiles?: { proposer?: string; verifier?: string };
}

export interface Outputs {
  patch: PolicyPatch;
  json: SummaryJson;
  files: string[];
  summary: string;
}

export async function writeOutputs(out: string, input: OutputsInput): Promise<Outputs> {
  const { calibration, dataset, fleet, probeSamples } = input;
  const { selection, measured } = calibration;
  const summaryInput = {
    dataset: { path: dataset.path, sha256: dataset.sha256, problems: dataset.problems.length },
    fleet: fleet.source,
    probeSamples,
    results: measured.problems,
    selection,
    counts: measured.counts,
    startedAt: calibration.startedAt.toISOString(),
    finishedAt: calibration.finishedAt.toISOString(),
  };
  const patch = policyPatch(selection, {
    name: fleet.policy.name,
    namespace: fleet.policy.namespace,
    dataset: { sha256: dataset.sha256, problems: dataset.problems.length },
    calibratedAt: summaryInput.finishedAt,
    probeSamples,
    policy: fleet.policy,
  });
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  const put = async (file: string, text: string) => {
    const path = join(out, file);
    await writeFile(path, text);
    files.push(path);
  };
  await put(PATCH_FILE, patchYaml(patch));
  const snapshot = calibratedSnapshot(fleet.policy, selection, { probeSamples });
  const pool = (role: "proposer" | "verifier") => {
    const keyFile = input.apiKeyFiles?.[role];
    return { ...fleet[role], ...(keyFile ? { apiKeyFile: keyFile } : {}) };
  };
  await put(
    ROUTER_CONFIG_FILE,
    routerConfigYaml(
      calibratedRouterConfig(snapshot, { proposer: pool("proposer"), verifier: pool("verifier") }),
      `Written by mull calibrate (${dataset.problems.length} problems of ${dataset.path}, fleet ${fleet.source}).\nServe it with: mull router --config ${ROUTER_CONFIG_FILE}`,
    ),
  );
  files.push(...(await writeReport(out, reportInput(summaryInput))));
  const json = summaryJson(summaryInput);
  return { patch, json, files, summary: summaryText(json) };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The headline for the terminal: the table against best-of-N at every budget. */
export function summaryText(j: SummaryJson): string {
  const rows = j.budgets.map((b, i) =>
    [
      `N=${b}`.padEnd(7),
      `${pct(j.optimal[i] ?? 0)} at ${(j.optimalGenerations[i] ?? 0).toFixed(1)} gen`.padEnd(24),
      `${pct(j.bestOfN[i] ?? 0)} at ${(j.bestOfNGenerations[i] ?? 0).toFixed(1)} gen`,
    ].join(" "),
  );
  const efficiency = `${j.efficiencyIsLowerBound ? "at least " : ""}${j.efficiency.toFixed(2)}x`;
  return [
    `budget  compute-optimal (CV, probe charged)  best-of-N`,
    ...rows,
    `efficiency at N=${j.efficiencyBudget}: ${efficiency} fewer generations than best-of-N for the same accuracy`,
    `samples: ${j.samples.fresh} fresh, ${j.samples.cached} cached, ${j.samples.failed} failed, ${j.samples.retried} retried`,
  ].join("\n");
}
