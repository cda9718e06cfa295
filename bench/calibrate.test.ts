// `mull bench calibrate` as a user runs it, on a small run: the JSON line carries every figure the
// issue asks it to print, the second calibration is served wholly from the first one's cache, and
// a bad option is refused with the usage.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const mull = fileURLToPath(new URL("../bin/mull.ts", import.meta.url));

test("bench calibrate prints held-out compute-optimal, best-of-N, efficiency and the cache rerun", async () => {
  const { stdout } = await run(
    process.execPath,
    [mull, "bench", "calibrate", "--train", "40", "--held-out", "24", "--budgets", "4,8"].concat([
      "--bins",
      "2",
      "--seed",
      "3",
      "--concurrency",
      "8",
      "--json",
    ]),
    { maxBuffer: 16 << 20 },
  );
  const lines = stdout.trim().split("\n");
  const j = JSON.parse(lines[lines.length - 1] as string);
  assert.deepEqual(j.budgets, [4, 8]);
  assert.equal(j.heldOut, 24);
  for (const key of ["optimal", "cv", "bestOfN", "optimalGenerations"]) {
    assert.equal(j[key].length, 2, key);
  }
  for (const x of [...j.optimal, ...j.cv, ...j.bestOfN]) assert.ok(x >= 0 && x <= 1, `${x}`);
  // The probe is charged inside the budget.
  j.optimalGenerations.forEach((g: number, i: number) => {
    assert.ok(g > 0 && g <= (j.budgets[i] as number), `${g} generations at N=${j.budgets[i]}`);
  });
  assert.deepEqual(
    j.bestOfNLadder.map((p: { budget: number }) => p.budget),
    [1, 2, 4, 8, 16, 32, 64, 128, 256],
  );
  assert.equal(j.efficiencyPerBudget.length, 2);
  assert.ok(j.efficiency > 0);
  assert.equal(j.secondRunHitRate, 1);
  assert.match(stdout, /same table/);
});

test("bench calibrate refuses a bad option with its usage", async () => {
  await assert.rejects(
    run(process.execPath, [mull, "bench", "calibrate", "--train", "five"]),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--train must be an integer/);
      assert.match(error.stderr, /usage: mull bench calibrate/);
      return true;
    },
  );
});
