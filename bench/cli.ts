// `mull bench <name>`: every benchmark prints its figures as a ratio against a baseline measured in
// the same run, so the numbers mean something on any machine.
import { parseArgs } from "node:util";

interface Benchmark {
  summary: string;
  load: () => Promise<{ main: (argv: string[]) => Promise<number> }>;
}

const benchmarks: Record<string, Benchmark> = {
  router: {
    summary: "router overhead: Solve throughput and added latency vs a direct client fan-out",
    load: () => import("./router.ts"),
  },
  operator: {
    summary: "operator on the real control plane: cold reconcile, no-op writes, peak RSS",
    load: () => import("./operator.ts"),
  },
};

function usage(): string {
  const lines = Object.entries(benchmarks).map(([name, b]) => `  ${name.padEnd(9)} ${b.summary}`);
  return `usage: mull bench <name> [options]   (npm run bench -- <name>)\n\n${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    options: { help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: false,
  });
  const [name, ...rest] = positionals;
  if (name === undefined) {
    process.stdout.write(usage());
    return values.help ? 0 : 2;
  }
  const benchmark = benchmarks[name];
  if (!benchmark) {
    process.stderr.write(`mull bench: unknown benchmark "${name}"\n\n${usage()}`);
    return 2;
  }
  const forwarded = values.help ? [...rest, "--help"] : rest;
  return (await benchmark.load()).main(forwarded);
}
