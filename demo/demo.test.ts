// The demo end to end on a small problem set: a real simulated fleet, a real router over gRPC,
// and the JSON contract that scripts read from the last line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "./cli.ts";

async function capture(run: () => Promise<number>): Promise<{ code: number; stdout: string }> {
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  let stdout = "";
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { code: await run(), stdout };
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
}

test("demo --json prints a consistent result object on its last line", async () => {
  const { code, stdout } = await capture(() =>
    main(["--problems", "24", "--speed", "0", "--replicas", "1", "--json"]),
  );
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
  const { code } = await capture(() => main(["--problems", "-3"]));
  assert.equal(code, 2);
  const unknown = await capture(() => main(["--bogus"]));
  assert.equal(unknown.code, 2);
});
