// `mull bench <name>`: every benchmark prints its figures as a ratio against a baseline measured in
// the same run, so the numbers mean something on any machine.
interface Benchmark {
  summary: string;
  load: () => Promise<{ main: (argv: string[]) => Promise<number> }>;
}

const benchmarks: Record<string, Benchmark> = {
  router: {
    summary: "router overhead: Solve throughput and added latency vs a direct client fan-out",
    load: () => import("./router.ts"),
  },
  planner: {
    summary:
      "planner vs a static GPU split: accuracy-weighted goodput on a shifting difficulty mix",
    load: () => import("./planner.ts"),
  },
  strategies: {
    summary: "accuracy per strategy at N = 4/16/64 on the sim, in its default or another format",
    load: () => import("./strategies.ts"),
  },
  calibrate: {
    summary:
      "mull calibrate on the sim: held-out compute-optimal vs best-of-N, efficiency, cache rerun",
    load: () => import("./calibrate.ts"),
  },
  alerts: {
    summary: "Alertmanager -> webhook -> replicas written and ready, vs kubectl scale",
    load: () => import("./alerts.ts"),
  },
  operator: {
    summary: "operator on the real control plane: cold reconcile, no-op writes, peak RSS",
    load: () => import("./operator.ts"),
  },
};

function usage(): string {
  const lines = Object.entries(benchmarks).map(([name, b]) => `  ${name.padEnd(10)} ${b.summary}`);
  return `usage: mull bench <name> [options]   (npm run bench -- <name>)\n\n${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const benchmark = benchmarks[name];
  if (!benchmark) {
    process.stderr.write(`mull bench: unknown benchmark "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await benchmark.load()).main(rest);
}
