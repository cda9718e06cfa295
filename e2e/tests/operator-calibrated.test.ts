// A calibration lands on a user's policy the way `mull calibrate --apply` does it: server-side
// apply with the field manager mull-calibrate. The API server takes the patch (dry run first),
// the tables gain their measured accuracy and costs, mull-calibrate owns the fields it wrote, the
// operator's Calibrated condition names the dataset, and a malformed patch is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import type { StrategySpec } from "../../calibrate/engine-runs.ts";
import { policyPatch } from "../../calibrate/patch.ts";
import { gpuPool, kubectl, namespace, waitFor } from "../fixture.ts";
import {
  condition,
  getJson,
  installCrd,
  type PolicyDoc,
  policyDoc,
  startOperator,
} from "./operator-harness.ts";

const datasetSha256 = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";

/** What `mull calibrate` writes to policy-patch.yaml (patch.ts): thresholds, tables, provenance. */
function calibrationPatch(name: string, sha256 = datasetSha256): PolicyDoc {
  const level = (budget: number, spec: Omit<StrategySpec, "label">, cvAccuracy: number) => ({
    budget,
    spec: { label: spec.strategy, ...spec },
    cvAccuracy,
    proposerTokens: budget * 310,
    verifierTokens: budget * 352,
  });
  return policyPatch(
    {
      thresholds: [0.52, 0.61],
      budgets: [4, 16, 64],
      bins: [
        {
          bin: 1,
          chosen: [
            level(4, { strategy: "majority" }, 0.91),
            level(16, { strategy: "revision", sequentialRatio: 1 }, 0.94),
            level(64, { strategy: "bestOfN" }, 0.95),
          ],
        },
        {
          bin: 2,
          chosen: [
            level(4, { strategy: "bestOfN" }, 0.62),
            level(16, { strategy: "beam", beamWidth: 4 }, 0.7),
            level(64, { strategy: "dvts", beamWidth: 8 }, 0.76),
          ],
        },
        {
          bin: 3,
          chosen: [
            level(4, { strategy: "bestOfN" }, 0.18),
            level(16, { strategy: "beam", beamWidth: 4 }, 0.27),
            level(64, { strategy: "lookahead", beamWidth: 8, lookahead: 1 }, 0.33),
          ],
        },
      ],
    },
    {
      name,
      dataset: { sha256, problems: 240 },
      calibratedAt: "2026-12-02T01:40:00Z",
      probeSamples: 4,
    },
  );
}

function applyAs(ns: string, manager: string, doc: PolicyDoc, extra: string[] = []) {
  return kubectl(
    ["-n", ns, "apply", "--server-side", `--field-manager=${manager}`, ...extra, "-f", "-"],
    { input: stringify(doc), check: false },
  );
}

interface ManagedFields {
  manager: string;
  operation: string;
  fieldsV1?: PolicyDoc;
}

async function managers(ns: string, name: string): Promise<ManagedFields[]> {
  const p = await getJson(["-n", ns, "get", "ttp", name, "--show-managed-fields"]);
  return p.metadata.managedFields;
}

const strategiesOf = (m: ManagedFields | undefined, bin: number) =>
  m?.fieldsV1?.["f:spec"]?.["f:bins"]?.[`k:{"bin":${bin}}`]?.["f:strategies"];

test("operator: a calibration applied by mull-calibrate sets the tables and Calibrated", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  const op = await startOperator(t, { namespace: ns, args: ["--resync-period=2"] });

  const user = await applyAs(ns, "user", policyDoc("cal", pool));
  assert.equal(user.code, 0, user.stderr);
  const uncalibrated = await waitFor("Calibrated=False on the user's policy", async () => {
    const c = condition(await getJson(["-n", ns, "get", "ttp", "cal"]), "Calibrated");
    return c?.status === "False" ? c : undefined;
  });
  assert.equal(uncalibrated.reason, "NotCalibrated");

  // The user owns the tables they wrote, so taking them over is a conflict unless forced; the
  // message names the owner and the fields.
  const patch = calibrationPatch("cal");
  const unforced = await applyAs(ns, "mull-calibrate", patch, ["--dry-run=server"]);
  assert.notEqual(unforced.code, 0);
  assert.match(unforced.stderr, /conflicts with "user"/);
  assert.match(unforced.stderr, /\.spec\.bins\[bin=1\]\.strategies/);
  assert.match(unforced.stderr, /\.spec\.difficulty\.thresholds/);

  const dryRun = await applyAs(ns, "mull-calibrate", patch, [
    "--force-conflicts",
    "--dry-run=server",
  ]);
  assert.equal(dryRun.code, 0, dryRun.stderr);
  assert.match(dryRun.stdout, /serverside-applied \(server dry run\)/);
  const untouched = await getJson(["-n", ns, "get", "ttp", "cal"]);
  assert.equal(untouched.spec.calibration, undefined, "a dry run changes nothing");

  // lastTransitionTime has whole seconds: let one pass, so that the flip shows in it.
  const flipAfter = Date.parse(uncalibrated.lastTransitionTime) + 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, flipAfter - Date.now())));
  const applied = await applyAs(ns, "mull-calibrate", patch, ["--force-conflicts"]);
  assert.equal(applied.code, 0, applied.stderr);

  const policy = await waitFor("Calibrated=True for the calibrated generation", async () => {
    const p = await getJson(["-n", ns, "get", "ttp", "cal"]);
    const c = condition(p, "Calibrated");
    return c?.status === "True" && c.observedGeneration === p.metadata.generation ? p : undefined;
  });
  const calibrated = condition(policy, "Calibrated");
  assert.equal(calibrated.reason, "Calibrated");
  assert.match(calibrated.message, new RegExp(`sha256:${datasetSha256.slice(0, 12)}\\b`));
  assert.match(calibrated.message, /240 problems, budgets 4,16,64/);
  assert.match(calibrated.message, /2026-12-02T01:40:00Z/);
  assert.notEqual(calibrated.lastTransitionTime, uncalibrated.lastTransitionTime);

  const wide = await kubectl(["-n", ns, "get", "ttp", "cal", "-o", "wide"]);
  const [header, row] = wide.stdout
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  assert.equal(row?.[header?.indexOf("CALIBRATED") ?? -1], "True", wide.stdout);

  assert.deepEqual(policy.spec.calibration, patch.spec.calibration);
  assert.deepEqual(policy.spec.difficulty.thresholds, [0.52, 0.61]);
  for (const bin of patch.spec.bins) {
    const served = policy.spec.bins.find((b: PolicyDoc) => b.bin === bin.bin);
    assert.deepEqual(
      served.strategies.map((s: PolicyDoc) => [
        s.generations,
        s.strategy,
        s.expectedAccuracy,
        s.proposerTokens,
        s.verifierTokens,
      ]),
      bin.strategies.map((s: PolicyDoc) => [
        s.generations,
        s.strategy,
        s.expectedAccuracy,
        s.proposerTokens,
        s.verifierTokens,
      ]),
    );
    // The user's pool bounds are not in the patch and stay theirs.
    assert.equal(served.proposer.maxReplicas, 2);
  }

  const owners = await managers(ns, "cal");
  const calibrate = owners.find((m) => m.manager === "mull-calibrate");
  assert.equal(calibrate?.operation, "Apply");
  const userFields = owners.find((m) => m.manager === "user");
  for (const bin of [1, 2, 3]) {
    assert.ok(strategiesOf(calibrate, bin), `mull-calibrate owns bins[bin=${bin}].strategies`);
    assert.equal(strategiesOf(userFields, bin), undefined, `user gave up bin ${bin}'s strategies`);
  }
  assert.ok(calibrate?.fieldsV1?.["f:spec"]?.["f:calibration"], "mull-calibrate owns calibration");
  assert.ok(userFields?.fieldsV1?.["f:spec"]?.["f:bins"]?.['k:{"bin":1}']?.["f:proposer"]);

  // A calibrated policy at rest: resyncs keep coming and write nothing.
  await waitFor("status writes to stop", async () => {
    const before = await op.metric("mull_operator_writes_total", { verb: "status" });
    await new Promise((r) => setTimeout(r, 3000));
    return (await op.metric("mull_operator_writes_total", { verb: "status" })) === before;
  });
  const version = (await getJson(["-n", ns, "get", "ttp", "cal"])).metadata.resourceVersion;
  const writes = await op.metric("mull_operator_writes_total", { verb: "status" });
  const reconciles = await op.metric("mull_operator_reconciles_total");
  await waitFor("two resyncs", async () =>
    (await op.metric("mull_operator_reconciles_total")) >= reconciles + 2 ? true : undefined,
  );
  assert.equal(await op.metric("mull_operator_writes_total", { verb: "status" }), writes);
  assert.equal((await getJson(["-n", ns, "get", "ttp", "cal"])).metadata.resourceVersion, version);

  // Malformed calibrations never reach the operator: the API server names the field.
  const short = await applyAs(
    ns,
    "mull-calibrate",
    calibrationPatch("cal", datasetSha256.slice(1)),
    ["--force-conflicts"],
  );
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /spec\.calibration\.datasetSha256/);
  assert.match(short.stderr, /at least 64 chars long/);
  const upper = calibrationPatch("cal", datasetSha256.toUpperCase());
  upper.spec.calibration.calibratedAt = "yesterday";
  upper.spec.calibration.problems = 0;
  const bad = await applyAs(ns, "mull-calibrate", upper, ["--force-conflicts"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /spec\.calibration\.datasetSha256.*should match '\^\[0-9a-f\]\{64\}\$'/);
  assert.match(bad.stderr, /spec\.calibration\.calibratedAt.*must be of type date-time/);
  assert.match(bad.stderr, /spec\.calibration\.problems.*should be greater than or equal to 1/);
  const after = await getJson(["-n", ns, "get", "ttp", "cal"]);
  assert.equal(after.metadata.resourceVersion, version, "a refused patch changes nothing");
});
