// `mull router`'s bus flags are checked before anything starts: a bad combination exits 2 with
// a message saying what is wrong.
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "./cli.ts";

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stderr };
  } finally {
    process.stderr.write = write;
  }
}

const cases: { argv: string[]; message: RegExp }[] = [
  { argv: [], message: /give one of --config or --nats/ },
  { argv: ["--config", "r.yaml", "--nats", "nats://127.0.0.1:4222"], message: /give one of/ },
  { argv: ["--config", "r.yaml", "--nats-token", "t"], message: /--nats-token need --nats/ },
  {
    argv: ["--nats", "nats://127.0.0.1:4222", "--report-interval", "0"],
    message: /--report-interval must be a positive number of seconds/,
  },
  {
    argv: ["--nats", "nats://127.0.0.1:4222", "--step-down-queue=1.5"],
    message: /--step-down-queue must be a non-negative integer/,
  },
  {
    argv: ["--nats", "nats://127.0.0.1:4222", "--nats-user", "u"],
    message: /--nats-user needs --nats-password/,
  },
];

for (const c of cases) {
  test(`mull router ${c.argv.join(" ") || "(no flags)"}: exit 2`, async () => {
    const { code, stderr } = await run(c.argv);
    assert.equal(code, 2);
    assert.match(stderr, c.message);
  });
}
