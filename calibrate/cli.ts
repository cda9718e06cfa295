// `mull calibrate`: learns a policy's compute-optimal table from the user's own fleet and data
// (run.ts), then writes it as a policy patch, a RouterConfig, a report and, with --json, one JSON
// line (write.ts). `mull calibrate sim` is the sim's own check against the published curves.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { readApiKeySync } from "../router/backends/api-key-file.ts";
import { applyPolicyPatch } from "./apply-patch.ts";
import { loadDataset } from "./dataset.ts";
import { resolveFleet } from "./fleet-source.ts";
import { DEFAULT_BUDGETS, defaultGrid, parseBudgets, parseStrategies } from "./grid.ts";
import { interruptOnSignals } from "./interrupt.ts";
import { measureProgress } from "./progress.ts";
import { runCalibration } from "./run.ts";
import { simFitMain } from "./sim-fit-cli.ts";
import { writeOutputs } from "./write.ts";

const HELP = `usage: mull calibrate --dataset problems.jsonl
         (--policy policy.yaml | --policy ns/name | --proposer URL --verifier URL)
         [options]
       mull calibrate sim [--help]      the simulated fleet against the published curves

Measures every strategy of the grid at every budget on the dataset, through the router's own
probe and strategies against the fleet, bins the problems by the probe's predicted difficulty
(quantiles), and picks per (bin, budget) the strategy with the best cross-validated accuracy.

the fleet:
  --policy P              a TestTimePolicy file, or namespace/name in the cluster: its formats,
                          models and settings are used, so calibration sends what the router sends
  --proposer URL          a proposer replica (repeatable); with --verifier, instead of the
  --verifier URL          policy's pool Services (or without a policy: the router's defaults)
  --proposer-model M      the model name to send (default: the policy's, or what /v1/models says)
  --verifier-model M
  --proposer-api-key-file F, --verifier-api-key-file F   vLLM's --api-key of each role
  --kubeconfig F          for --policy ns/name and --apply (default: the usual lookup)

the calibration:
  --dataset F             JSONL, one {"problem": ..., "answer": ..., "id"?: ...} per line
  --budgets LIST          generations per request (default ${DEFAULT_BUDGETS.join(",")})
  --strategies LIST       families or variants, e.g. bestOfN,beam,revision (default: all)
  --bins N                difficulty bins (default: the policy's, else 5)
  --probe-samples K       the probe's samples (default: the policy's, else 4)
  --oracle-samples S      plain samples per problem for the oracle pass@1 (default 32; 0: none)
  --folds F               cross-validation folds (default 2)
  --concurrency C         problems in flight (default 16)
  --max-failure-rate R    the share of runs that may fail after retries (default 0.02)

the outputs:
  --out DIR               policy-patch.yaml, router-config.yaml, report.md and plots (default
                          ./calibration)
  --cache DIR             the sample cache (default: DIR of --out); a rerun resumes from it
  --apply                 server-side apply the patch to the policy (field manager mull-calibrate)
  --json                  one JSON object with the results on the last line of stdout
  -h, --help              this help
`;

const OPTIONS = {
  dataset: { type: "string" },
  policy: { type: "string" },
  proposer: { type: "string", multiple: true },
  verifier: { type: "string", multiple: true },
  "proposer-model": { type: "string" },
  "verifier-model": { type: "string" },
  "proposer-api-key-file": { type: "string" },
  "verifier-api-key-file": { type: "string" },
  kubeconfig: { type: "string" },
  budgets: { type: "string" },
  strategies: { type: "string" },
  bins: { type: "string" },
  "probe-samples": { type: "string" },
  "oracle-samples": { type: "string" },
  folds: { type: "string" },
  concurrency: { type: "string" },
  "max-failure-rate": { type: "string" },
  out: { type: "string" },
  cache: { type: "string" },
  apply: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

class UsageError extends Error {}

function kubeConfigFrom(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

function integer(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  }
  return n;
}

function apiKey(values: Record<string, unknown>, role: "proposer" | "verifier") {
  const file = values[`${role}-api-key-file`] as string | undefined;
  if (file === undefined) return undefined;
  const read = readApiKeySync(file);
  if ("error" in read) throw new UsageError(`--${role}-api-key-file: ${read.error}`);
  return read.key;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "sim") return simFitMain(argv);
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>["values"];
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    if (parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
    }
    values = parsed.values;
  } catch (error) {
    process.stderr.write(`mull calibrate: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const interrupt = interruptOnSignals();
  try {
    if (values.dataset === undefined) throw new UsageError("--dataset is required");
    if (!existsSync(values.dataset))
      throw new UsageError(`--dataset ${values.dataset}: no such file`);
    const budgets = values.budgets ? parseBudgets(values.budgets) : [...DEFAULT_BUDGETS];
    // Best-of-N is always measured: it is the baseline the efficiency is against.
    const strategies = values.strategies ? parseStrategies(values.strategies) : undefined;
    const grid = defaultGrid(
      budgets,
      strategies && !strategies.includes("bestOfN") ? ["bestOfN", ...strategies] : strategies,
    );
    const folds = integer(values, "folds", 2) ?? 2;
    const concurrency = integer(values, "concurrency", 1) ?? 16;
    const oracleSamples = integer(values, "oracle-samples", 0) ?? 32;
    const maxFailureRate =
      values["max-failure-rate"] === undefined ? undefined : Number(values["max-failure-rate"]);
    if (maxFailureRate !== undefined && !(maxFailureRate >= 0 && maxFailureRate < 1)) {
      throw new UsageError(
        `--max-failure-rate must be in [0, 1), got "${values["max-failure-rate"]}"`,
      );
    }
    if (values.apply && values.policy === undefined) {
      throw new UsageError("--apply needs the policy to patch: --policy FILE or ns/name");
    }
    const out = resolve(values.out ?? "calibration");
    const kubeConfig =
      values.kubeconfig ||
      (values.policy !== undefined && !existsSync(values.policy)) ||
      values.apply
        ? kubeConfigFrom(values.kubeconfig)
        : undefined;

    const dataset = await loadDataset(values.dataset);
    const proposerKey = apiKey(values, "proposer");
    const verifierKey = apiKey(values, "verifier");
    const fleet = await resolveFleet({
      ...(values.policy !== undefined ? { policy: values.policy } : {}),
      ...(values.proposer ? { proposer: values.proposer } : {}),
      ...(values.verifier ? { verifier: values.verifier } : {}),
      ...(values["proposer-model"] ? { proposerModel: values["proposer-model"] } : {}),
      ...(values["verifier-model"] ? { verifierModel: values["verifier-model"] } : {}),
      ...(kubeConfig ? { kubeConfig } : {}),
      apiKeys: {
        ...(proposerKey ? { proposer: proposerKey } : {}),
        ...(verifierKey ? { verifier: verifierKey } : {}),
      },
    });
    const fromPolicy = values.policy !== undefined;
    const bins = integer(values, "bins", 1) ?? (fromPolicy ? fleet.policy.bins : 5);
    const probeSamples =
      integer(values, "probe-samples", 1) ?? (fromPolicy ? fleet.policy.probeSamples : 4);
    process.stderr.write(
      `mull calibrate: ${dataset.problems.length} problems of ${dataset.path}, ${grid.length} grid cells, ${bins} bins, fleet ${fleet.source}\n`,
    );

    const calibration = await runCalibration({
      dataset,
      fleet,
      grid,
      bins,
      folds,
      probeSamples,
      oracleSamples,
      concurrency,
      cacheDir: resolve(values.cache ?? out),
      signal: interrupt.signal,
      ...(maxFailureRate !== undefined ? { maxFailureRate } : {}),
      onProgress: measureProgress(),
    });
    const keyFiles = {
      ...(values["proposer-api-key-file"]
        ? { proposer: resolve(values["proposer-api-key-file"]) }
        : {}),
      ...(values["verifier-api-key-file"]
        ? { verifier: resolve(values["verifier-api-key-file"]) }
        : {}),
    };
    const written = await writeOutputs(out, {
      calibration,
      dataset,
      fleet,
      probeSamples,
      apiKeyFiles: keyFiles,
    });
    process.stderr.write(`${written.summary}\nwrote ${written.files.join(", ")}\n`);
    if (values.apply) {
      await applyPolicyPatch(kubeConfig ?? kubeConfigFrom(undefined), written.patch);
      process.stderr.write(
        `applied the patch to ${written.patch.metadata.namespace ?? "default"}/${written.patch.metadata.name} (field manager mull-calibrate)\n`,
      );
    }
    if (values.json) process.stdout.write(`${JSON.stringify(written.json)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mull calibrate: ${message}\n`);
    if (error instanceof UsageError) {
      process.stderr.write(`(mull calibrate --help for the options)\n`);
      return 2;
    }
    return interrupt.signal.aborted ? 130 : 1;
  } finally {
    interrupt.dispose();
  }
}
