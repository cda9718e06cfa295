import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import { calibrateDemo, DEMO_CALIBRATION } from "./calibrate.ts";
import { loadTable } from "./policies.ts";

const dir = mkdtempSync(join(tmpdir(), "mull-demo-calibrate-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("demo --calibrate runs calibrate/'s path and writes a policy.yaml the demo loads", async () => {
  const options = {
    ...DEMO_CALIBRATION,
    problems: 40,
    bins: 2,
    budgets: [4, 8],
    oracleSamples: 0,
    out: join(dir, "out"),
    policyFile: join(dir, "policy.yaml"),
    cacheDir: join(dir, "cache"),
  };
  const first = await calibrateDemo(options);
  const table = loadTable(pathToFileURL(options.policyFile));
  const patch = parse(readFileSync(join(options.out, "policy-patch.yaml"), "utf8"));
  assert.equal(table.name, "compute-optimal");
  assert.equal(table.bins, 2);
  assert.equal(table.probeSamples, 4);
  // The table and the patch are one result: same thresholds, same strategy per bin and budget.
  assert.deepEqual(
    table.thresholds.map((t) => t.toFixed(6)),
    patch.spec.difficulty.thresholds.map((t: number) => t.toFixed(6)),
  );
  for (const bin of table.binTable) {
    assert.deepEqual(
      bin.levels.map((l) => l.generations),
      [4, 8],
    );
    const levels = patch.spec.bins.find((b: { bin: number }) => b.bin === bin.bin).strategies;
    assert.equal(levels.length, 2);
    for (const level of levels)
      assert.ok(level.expectedAccuracy >= 0 && level.expectedAccuracy <= 1);
  }
  // The policy-wide settings are the demo's own, kept.
  const base = loadTable();
  assert.equal(table.defaultGenerations, base.defaultGenerations);
  assert.equal(table.aggregation, base.aggregation);
  assert.ok(first.json.samples.fresh > 0);
  assert.match(readFileSync(options.policyFile, "utf8"), /^# Written by mull demo --calibrate/);

  // A rerun is answered by the sample cache alone and chooses the same table.
  const written = readFileSync(options.policyFile, "utf8");
  const second = await calibrateDemo(options);
  assert.equal(second.json.samples.fresh, 0);
  assert.equal(second.json.samples.failed, 0);
  const body = (text: string) => text.replace(/^#.*\n/gm, "");
  assert.equal(body(readFileSync(options.policyFile, "utf8")), body(written));
});
