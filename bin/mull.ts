#!/usr/bin/env node
// The one `mull` CLI: each subcommand lives in its own module and is loaded only when used, so
// `mull sim` never pays for the Kubernetes client and `mull operator` never loads the engine.

interface Command {
  summary: string;
  load: () => Promise<{ main: (argv: string[]) => Promise<number> }>;
}

const commands: Record<string, Command> = {
  router: { summary: "serve the gRPC router", load: () => import("../router/cli.ts") },
  solve: {
    summary: "solve one prompt through a router",
    load: () => import("../router/solve-cli.ts"),
  },
  sim: {
    summary: "serve a simulated vLLM proposer and PRM verifier fleet",
    load: () => import("../sim/cli.ts"),
  },
  calibrate: {
    summary: "learn a policy's compute-optimal table from your fleet and dataset",
    load: () => import("../calibrate/cli.ts"),
  },
  demo: {
    summary: "compute-optimal vs best-of-N on the simulated fleet",
    load: () => import("../demo/cli.ts"),
  },
  bench: {
    summary: "benchmarks that print ratios against a same-run baseline",
    load: () => import("../bench/cli.ts"),
  },
  operator: {
    summary: "run the TestTimePolicy operator",
    load: () => import("../operator/cli.ts"),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return `usage: mull <command> [--help] [options]\n\ncommands:\n${lines.join("\n")}\n`;
}

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === "--help" || name === "-h" || name === "help") {
  process.stdout.write(usage());
  process.exit(name === undefined ? 2 : 0);
}
const command = commands[name];
if (!command) {
  process.stderr.write(`mull: unknown command "${name}"\n\n${usage()}`);
  process.exit(2);
}
const { main } = await command.load();
process.exitCode = await main(rest);
