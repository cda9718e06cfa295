// `mull calibrate` as a user runs it against a policy in the cluster: the real binary (a child
// process) reads the TestTimePolicy from the API server, asks a simulated fleet over HTTP (serving
// the policy's model names, as the pools' port-forwards would), writes its files, and --apply
// server-side applies the patch with the field manager mull-calibrate: the policy then holds the
// measured thresholds, tables and spec.calibration, the user's pool bounds untouched.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { makeDataset } from "../../sim/dataset.ts";
import { startFleet } from "../../sim/fleet.ts";
import { repoRoot } from "../cluster/state.ts";
import { namespace, run } from "../fixture.ts";
import { applyDoc, getJson, installCrd, type PolicyDoc, policyDoc } from "./operator-harness.ts";

/** The real CLI, with KUBECONFIG on the e2e cluster (fixture.ts run). */
const mull = (args: string[]) =>
  run(join(repoRoot, "node_modules/.bin/node"), [join(repoRoot, "bin/mull.ts"), ...args], {
    check: false,
  });

test("mull calibrate --policy ns/name --apply: the policy in the cluster gets the measured table", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const doc = policyDoc("math", undefined, (d) => {
    d.spec.bins[0].proposer = { minReplicas: 2, maxReplicas: 3 };
  });
  await applyDoc(ns, doc);
  const fleet = await startFleet({
    bins: 1,
    replicas: 1,
    speed: speedConfig(0),
    proposerModel: doc.spec.proposer.model,
    verifierModel: doc.spec.verifier.model,
  });
  t.after(() => fleet.stop());
  const url = (role: string) => fleet.replicas.find((r) => r.role === role)?.url as string;

  const dir = mkdtempSync(join(tmpdir(), "mull-calibrate-cli-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataset = join(dir, "problems.jsonl");
  const problems = makeDataset({ count: 30, seed: 515 });
  writeFileSync(
    dataset,
    `${problems.map((p) => JSON.stringify({ id: p.id, problem: p.problem, answer: p.answer })).join("\n")}\n`,
  );
  const out = join(dir, "out");
  const args = [
    "calibrate",
    "--dataset",
    dataset,
    "--policy",
    `${ns}/math`,
    "--proposer",
    url("proposer"),
    "--verifier",
    url("verifier"),
    "--budgets",
    "4,16",
    "--strategies",
    "bestOfN,majority,beam",
    "--oracle-samples",
    "4",
    "--out",
    out,
    "--apply",
    "--json",
  ];
  const first = await mull(args);
  assert.equal(first.code, 0, first.stderr);
  for (const f of ["policy-patch.yaml", "router-config.yaml", "report.md", "difficulty.svg"]) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const json = JSON.parse(first.stdout.trim().split("\n").at(-1) as string);
  assert.deepEqual(json.budgets, [4, 16]);
  assert.equal(json.bins.length, 3, "the policy's three bins");
  assert.equal(json.problems, 30);

  const policy: PolicyDoc = await getJson([
    "-n",
    ns,
    "get",
    "ttp",
    "math",
    "--show-managed-fields",
  ]);
  assert.deepEqual(
    policy.spec.difficulty.thresholds,
    json.thresholds.map((x: number) => Number(x.toFixed(6))),
  );
  assert.equal(policy.spec.calibration.problems, 30);
  assert.match(policy.spec.calibration.datasetSha256, /^[0-9a-f]{64}$/);
  assert.equal(
    policy.spec.calibration.datasetSha256,
    json.dataset.sha256,
    "the hash of the file calibrated on",
  );
  for (const b of policy.spec.bins) {
    const chosen = json.bins.find((x: { bin: number }) => x.bin === b.bin).chosen;
    assert.deepEqual(
      b.strategies.map((s: { generations: number; strategy: string }) => [
        s.generations,
        s.strategy,
      ]),
      chosen.map((x: { budget: number; strategy: string }) => [x.budget, x.strategy]),
    );
    assert.ok(
      b.strategies.every((s: { expectedAccuracy?: number }) => s.expectedAccuracy !== undefined),
    );
  }
  assert.deepEqual(
    policy.spec.bins[0].proposer,
    { minReplicas: 2, maxReplicas: 3 },
    "the user's bounds",
  );
  const managers = policy.metadata.managedFields.map((m: { manager: string }) => m.manager);
  assert.ok(managers.includes("mull-calibrate"), managers.join(", "));
  assert.match(
    readFileSync(join(out, "policy-patch.yaml"), "utf8"),
    /field-manager mull-calibrate/,
  );

  // Again on the same cache: nothing is asked of the fleet, and the same table is applied.
  const again = await mull(args);
  assert.equal(again.code, 0, again.stderr);
  const second = JSON.parse(again.stdout.trim().split("\n").at(-1) as string);
  assert.equal(second.samples.fresh, 0, "a rerun is served from the cache");
  assert.deepEqual(second.bins, json.bins);

  // --apply without a policy to patch is a usage error, before any work.
  const bare = await mull([
    "calibrate",
    "--dataset",
    dataset,
    "--proposer",
    url("proposer"),
    "--verifier",
    url("verifier"),
    "--apply",
  ]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /--apply needs the policy to patch/);
});
