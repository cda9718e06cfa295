// `mull bench strategies`: accuracy per strategy at N = 4, 16, 64 on the simulated fleet, in
// process (the router's engine, formats and clients' request shapes; the sim's own handlers), in
// the sim's default format or another one (`--format`), with the policy written to match it.
// Best-of-N at the same N is the baseline measured in the same run: each row prints its ratio.
import { parseArgs } from "node:util";
import { engineRunner, type StrategySpec } from "../calibrate/engine-runs.ts";
import { matchingPolicyFormats } from "../calibrate/sim-formats.ts";
import { judgeAnswer, makeDataset } from "../sim/dataset.ts";
import { BUILTIN_FORMATS, compileFormat } from "../sim/format.ts";
import { DEFAULT_MODEL } from "../sim/model-config.ts";

const STRATEGIES: readonly StrategySpec[] = [
  { label: "bestOfN", strategy: "bestOfN" },
  { label: "majority", strategy: "majority" },
  { label: "beam", strategy: "beam", beamWidth: 4 },
  { label: "lookahead", strategy: "lookahead", beamWidth: 4 },
  { label: "dvts", strategy: "dvts", beamWidth: 4 },
  { label: "revision", strategy: "revision" },
];
const BUDGETS = [4, 16, 64];

const USAGE = `usage: mull bench strategies [--format NAME] [--mode completion|chat] [--problems N] [--seed S] [--json]

Accuracy of bestOfN, majority, beam (M=4), lookahead (k=1, M=4), dvts (M=4) and revision
(sequential:parallel 1:1) at N = ${BUDGETS.join("/")} on --problems sim problems of mixed difficulty
(default 60), each strategy given all N generations (the difficulty bin as a hint). --format picks
the sim's format (${Object.keys(BUILTIN_FORMATS).join(", ")}; default mull) and the policy is
written to match it; --mode chat reaches the proposer through /v1/chat/completions.
`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      format: { type: "string" },
      mode: { type: "string" },
      problems: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    process.stderr.write(`mull bench strategies: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const name = values.format ?? "mull";
  const sim = BUILTIN_FORMATS[name];
  const mode = values.mode ?? "completion";
  const problems = Number(values.problems ?? 60);
  const seed = Number(values.seed ?? 5);
  if (sim === undefined || (mode !== "completion" && mode !== "chat")) {
    process.stderr.write(`mull bench strategies: unknown --format or --mode\n\n${USAGE}`);
    return 2;
  }
  if (!Number.isInteger(problems) || problems < 1 || !Number.isInteger(seed)) {
    process.stderr.write(`mull bench strategies: --problems and --seed must be integers\n`);
    return 2;
  }
  // The default format runs with the router's defaults (no prompt or verifierFormat in the
  // policy); another one with a policy that spells the sim's format out.
  const formats =
    name === "mull"
      ? undefined
      : matchingPolicyFormats(
          sim,
          mode,
          name === "qwen-chat" ? { format: "qwen2.5-math-prm" } : undefined,
        );
  const runner = engineRunner(DEFAULT_MODEL, {
    bins: 1,
    thresholds: [],
    budgets: BUDGETS,
    probeSamples: 4,
    ...(formats ? { formats } : {}),
    simFormats: [compileFormat(sim)],
  });
  const items = makeDataset({ count: problems, seed });
  const started = performance.now();
  const accuracy: Record<string, Record<number, number>> = {};
  for (const spec of STRATEGIES) {
    accuracy[spec.label] = {};
    for (const n of BUDGETS) {
      let right = 0;
      for (const item of items) {
        const answer = await runner.solve(
          item.problem,
          `${spec.label}-${n}-${item.id}`,
          spec,
          n,
          1,
        );
        if (judgeAnswer(item.answer, answer)) right++;
      }
      (accuracy[spec.label] as Record<number, number>)[n] = right / items.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
  const lines = [
    `sim format ${name}${formats ? `, policy matched (${mode} mode)` : ", router defaults"}; ${problems} problems, seed ${seed}, ${seconds.toFixed(0)} s`,
    `strategy   ${BUDGETS.map((n) => `N=${n}`.padStart(6)).join("  ")}   (× best-of-N at the same N)`,
  ];
  for (const spec of STRATEGIES) {
    const row = accuracy[spec.label] as Record<number, number>;
    const base = accuracy.bestOfN as Record<number, number>;
    const cells = BUDGETS.map((n) => {
      const ratio = (base[n] ?? 0) > 0 ? (row[n] ?? 0) / (base[n] ?? 1) : 0;
      return `${pct(row[n] ?? 0)} ×${ratio.toFixed(2)}`;
    });
    lines.push(`${spec.label.padEnd(10)} ${cells.join("  ")}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ format: name, mode, problems, seed, budgets: BUDGETS, accuracy })}\n`,
    );
  }
  return 0;
}
