// `mull calibrate sim`: the simulated fleet's calibration tables against the published curves
// (calibrate/sim-fit.ts), a check of the sim's model rather than a policy's calibration.
import { parseArgs } from "node:util";
import { modelConfig } from "../sim/model-config.ts";
import { calibrate } from "./sim-fit.ts";
import { formatReport } from "./sim-fit-format.ts";

const HELP = `usage: mull calibrate sim [options]

Runs the engine's strategies in process against the simulated fleet and prints its calibration
tables beside search-and-learn's published curves.

options:
  --problems N          problems (default 500)
  --separation X        PRM logit gap between correct and wrong steps (default ${modelConfig().separation})
  -h, --help            this help
`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      problems: { type: "string" },
      separation: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

export async function simFitMain(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`mull calibrate: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals[0] !== "sim" || positionals.length !== 1) {
    process.stderr.write(`mull calibrate: expected the target "sim"\n\n${HELP}`);
    return 2;
  }
  const number = (name: string, fallback: number) => {
    const raw = values[name as "problems" | "separation"];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${raw}"`);
    return n;
  };
  try {
    const config = modelConfig(
      values.separation === undefined ? {} : { separation: number("separation", 0) },
    );
    const report = await calibrate({ config, problems: number("problems", 500) });
    process.stdout.write(formatReport(report));
    return 0;
  } catch (error) {
    process.stderr.write(`mull calibrate: ${(error as Error).message}\n`);
    return 1;
  }
}
