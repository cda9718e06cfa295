// The demo end to end on a small problem set: a real simulated fleet, a real router over gRPC,
// and the JSON contract that scripts read from the last line.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

// In a child process: capturing this process's stdout would also swallow the test runner's own
// reports, which it writes to the same stream.
async function demo(args: string[]): Promise<{ code: number; stdout: string }> {
  const child = spawn(process.execPath, ["bin/mull.ts", "demo", ...args], { cwd: root });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.resume();
  const [code] = await once(child, "exit");
  return { code: code as number, stdout };
}

test("demo --json prints a consistent result object on its last line", async () => {
  const { code, stdout } = await demo([
    "--problems",
    "24",
    "--speed",
    "0",
    "--replicas",
    "1",
    "--json",
  ]);
  assert.equal(code, 0);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  const result = JSON.parse(last);
  assert.equal(result.problems, 24);
  for (const side of [result.optimal, result.baseline]) {
    assert.ok(side.accuracy >= 0 && side.accuracy <= 1);
    assert.ok(side.generationsPerProblem > 0);
  }
  assert.equal(
    result.bins.reduce((n: number, b: { problems: number }) => n + b.problems, 0),
    24,
    "every problem is counted in exactly one bin",
  );
  assert.ok(result.bins.every((b: { bin: number }) => b.bin >= 1 && b.bin <= 5));
  assert.ok(
    Math.abs(
      result.efficiency -
        result.baseline.generationsForEqualAccuracy / result.optimal.generationsPerProblem,
    ) < 1e-9,
  );
  const ns = result.baseline.curve.map((p: { generations: number }) => p.generations);
  assert.deepEqual(
    ns,
    [...ns].sort((a: number, b: number) => a - b),
  );
  assert.ok(ns.includes(result.baseline.generationsPerProblem), "the same-budget run is measured");
  assert.match(stdout, /compute-optimal/);
});

test("demo rejects a bad option with usage and exit code 2", async () => {
  const { code } = await demo(["--problems", "-3"]);
  assert.equal(code, 2);
  const unknown = await demo(["--bogus"]);
  assert.equal(unknown.code, 2);
});

test("demo --format qwen-chat serves the sim in a chat format with policies that match it", async () => {
  const { code, stdout } = await demo([
    "--problems",
    "16",
    "--speed",
    "0",
    "--replicas",
    "1",
    "--format",
    "qwen-chat",
    "--json",
  ]);
  assert.equal(code, 0);
  const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
  assert.equal(result.problems, 16);
  // A policy in the wrong format gets almost nothing right (test/integration/formats.test.ts);
  // matched, the compute-optimal table solves a good share of mixed problems.
  assert.ok(result.optimal.accuracy >= 0.25, `accuracy ${result.optimal.accuracy}`);
});

test("demo rejects an unknown --format", async () => {
  const { code } = await demo(["--format", "nope"]);
  assert.equal(code, 2);
});
