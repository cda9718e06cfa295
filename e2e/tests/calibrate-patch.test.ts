// policy-patch.yaml as `mull calibrate` builds it (select.ts on measurements, patch.ts) against
// the real API server's CRD schema: a server dry run over an existing user policy, then the apply
// with --force-conflicts, then a recalibration that needs no force. The tables take every kind
// of level (beam, lookahead, revision), a budget above the policy's maxGenerations raises it,
// and the user's pool bounds stay theirs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPolicyPatch } from "../../calibrate/apply-patch.ts";
import { defaultGrid } from "../../calibrate/grid.ts";
import type { ProblemResult } from "../../calibrate/measurement.ts";
import { FIELD_MANAGER, patchYaml, policyPatch } from "../../calibrate/patch.ts";
import { select } from "../../calibrate/select.ts";
import { policySnapshot } from "../../controller/desired/router-config.ts";
import { cluster, kubectl, namespace } from "../fixture.ts";
import { getJson, installCrd, type PolicyDoc, policyDoc } from "./operator-harness.ts";

// Three bins of twenty problems; each bin's winner is right on all of them at every budget.
const winners = ["revision(seq=1/√N)", "beam(M=√N)", "lookahead(k=3)"];
const budgets = [4, 16, 64, 256];

function measured(): ProblemResult[] {
  const grid = defaultGrid(budgets);
  return Array.from({ length: 60 }, (_, i) => {
    const bin = Math.floor(i / 20); // 0 = easiest: the highest probe scores
    return {
      id: `p${i}`,
      probeScore: 0.9 - bin * 0.3 - (i % 20) * 0.001,
      oraclePass1: null,
      cells: grid.map((c) => ({
        label: c.label,
        budget: c.budget,
        // At N=4 every cell is right: a tie, to the cheapest. At N=16, √N = 4: beam(M=4).
        correct:
          c.label === winners[bin] ||
          c.budget === 4 ||
          (bin === 1 && c.budget === 16 && c.label === "beam(M=4)"),
        generations: c.budget + (c.label === "bestOfN" ? 0 : 1),
        proposerTokens: c.budget * 280.5,
        verifierTokens: c.budget * 330.25,
        backendCalls: 2,
      })),
    };
  });
}

function apply(ns: string, yaml: string, extra: string[]) {
  return kubectl(
    ["-n", ns, "apply", "--server-side", "--field-manager", FIELD_MANAGER, ...extra, "-f", "-"],
    { input: yaml, check: false },
  );
}

test("calibrate: the API server takes policy-patch.yaml over an existing policy", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const user = policyDoc("cal", undefined);
  user.metadata.namespace = ns;
  const created = await kubectl(
    ["-n", ns, "apply", "--server-side", "--field-manager=user", "-f", "-"],
    { input: JSON.stringify(user), check: false },
  );
  assert.equal(created.code, 0, created.stderr);

  const selection = select(measured(), defaultGrid(budgets), { bins: 3 });
  const patch = policyPatch(selection, {
    name: "cal",
    namespace: ns,
    dataset: { sha256: "c0".repeat(32), problems: 60 },
    calibratedAt: "2026-12-02T08:10:00Z",
    probeSamples: 4,
    policy: policySnapshot(user),
  });
  assert.deepEqual(patch.spec.budget, { maxGenerations: 256 });
  const yaml = patchYaml(patch);

  const dryRun = await apply(ns, yaml, ["--dry-run=server", "--force-conflicts"]);
  assert.equal(dryRun.code, 0, dryRun.stderr);
  assert.match(dryRun.stdout, /serverside-applied \(server dry run\)/);
  assert.equal((await getJson(["-n", ns, "get", "ttp", "cal"])).spec.calibration, undefined);
  // Without --force-conflicts the user's tables and thresholds are theirs.
  const unforced = await apply(ns, yaml, ["--dry-run=server"]);
  assert.notEqual(unforced.code, 0);
  assert.match(unforced.stderr, /conflicts with "user"/);

  const applied = await apply(ns, yaml, ["--force-conflicts"]);
  assert.equal(applied.code, 0, applied.stderr);
  const policy = await getJson(["-n", ns, "get", "ttp", "cal"]);
  assert.deepEqual(policy.spec.difficulty.thresholds, patch.spec.difficulty.thresholds);
  assert.equal(policy.spec.budget.maxGenerations, 256);
  assert.equal(policy.spec.budget.gpus, 8, "the rest of budget stays the user's");
  assert.deepEqual(policy.spec.calibration, patch.spec.calibration);
  const levels = (bin: number) =>
    policy.spec.bins
      .find((b: PolicyDoc) => b.bin === bin)
      .strategies.map((s: PolicyDoc) => [
        s.generations,
        s.strategy,
        s.beamWidth,
        s.lookahead,
        s.sequentialRatio,
      ]);
  assert.deepEqual(levels(1), [
    [4, "bestOfN", undefined, undefined, undefined],
    [16, "revision", undefined, undefined, 0.25],
    [64, "revision", undefined, undefined, 0.125],
    [256, "revision", undefined, undefined, 0.0625],
  ]);
  assert.deepEqual(levels(2).slice(1), [
    [16, "beam", 4, undefined, undefined], // √16 = 4 is the grid's beam(M=4)
    [64, "beam", 8, undefined, undefined],
    [256, "beam", 16, undefined, undefined],
  ]);
  assert.deepEqual(levels(3).slice(1), [
    [16, "lookahead", 4, 3, undefined],
    [64, "lookahead", 4, 3, undefined],
    [256, "lookahead", 4, 3, undefined],
  ]);
  for (const bin of policy.spec.bins) {
    assert.deepEqual(bin.proposer, { minReplicas: 1, maxReplicas: 2 });
    assert.equal(bin.strategies[1].expectedAccuracy, 1);
    assert.equal(bin.strategies[1].proposerTokens, Math.round(16 * 280.5));
  }

  // A second calibration by the same manager takes over nothing: no force needed.
  const again = policyPatch(selection, {
    name: "cal",
    namespace: ns,
    dataset: { sha256: "d1".repeat(32), problems: 60 },
    calibratedAt: "2026-12-02T08:20:00Z",
    probeSamples: 4,
    policy: policySnapshot(policy),
  });
  const reapplied = await apply(ns, patchYaml(again), []);
  assert.equal(reapplied.code, 0, reapplied.stderr);
  const after = await getJson(["-n", ns, "get", "ttp", "cal"]);
  assert.equal(after.spec.calibration.datasetSha256, "d1".repeat(32));
  assert.equal(after.spec.budget.maxGenerations, 256);
});

// A two-bin table of best-of-N levels, as select.ts would hand it to policyPatch.
function table(problems: number) {
  const chosen = [4, 16].map((budget) => ({
    budget,
    spec: { label: "bestOfN", strategy: "bestOfN" as const },
    cvAccuracy: 0.5,
    proposerTokens: budget * 300,
    verifierTokens: budget * 350,
  }));
  return {
    patch: (ns: string, policy?: PolicyDoc) =>
      policyPatch(
        { thresholds: [0.6], budgets: [4, 16], bins: [1, 2].map((bin) => ({ bin, chosen })) },
        {
          name: "cal",
          namespace: ns,
          dataset: { sha256: "e2".repeat(32), problems },
          calibratedAt: "2026-12-02T08:30:00Z",
          probeSamples: 4,
          ...(policy ? { policy: policySnapshot(policy) } : {}),
        },
      ),
  };
}

// Users create policies with a plain (client-side) `kubectl apply`, as examples/policy.yaml says.
async function clientSideApplied(ns: string): Promise<PolicyDoc> {
  const user = policyDoc("cal", undefined, (d) => {
    d.metadata.namespace = ns;
    d.spec.difficulty.bins = 2;
    d.spec.difficulty.thresholds = [0.5];
    d.spec.bins = d.spec.bins.slice(0, 2);
    d.spec.scaling.stabilizationSeconds = 77;
  });
  const created = await kubectl(["-n", ns, "apply", "-f", "-"], {
    input: JSON.stringify(user),
    check: false,
  });
  assert.equal(created.code, 0, created.stderr);
  return getJson(["-n", ns, "get", "ttp", "cal"]);
}

test("calibrate --apply: over a client-side-applied policy, every recalibration applies", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const { kubeConfig } = await cluster();
  const user = await clientSideApplied(ns);

  const dry = await applyPolicyPatch(kubeConfig, table(60).patch(ns, user), { dryRun: true });
  assert.equal(dry.spec.calibration?.problems, 60);
  assert.equal((await getJson(["-n", ns, "get", "ttp", "cal"])).spec.calibration, undefined);

  await applyPolicyPatch(kubeConfig, table(60).patch(ns, user));
  const second = await applyPolicyPatch(kubeConfig, table(120).patch(ns, user));
  assert.equal(second.spec.calibration?.problems, 120);
  assert.deepEqual(second.spec.difficulty.thresholds, [0.6]);
  assert.equal(second.spec.scaling.stabilizationSeconds, 77);
  assert.equal(second.spec.proposer.model, user.spec.proposer.model);
  // The user's client-side apply still owns the models and the pool bounds.
  const owners: { manager: string; fieldsV1?: PolicyDoc }[] = (
    await getJson(["-n", ns, "get", "ttp", "cal", "--show-managed-fields"])
  ).metadata.managedFields;
  const csa = owners.find((m) => m.manager === "kubectl-client-side-apply");
  assert.ok(csa?.fieldsV1?.["f:spec"]?.["f:proposer"], "the user still owns spec.proposer");
  const mine = owners.find((m) => m.manager === FIELD_MANAGER);
  assert.equal(mine?.fieldsV1?.["f:spec"]?.["f:proposer"], undefined);

  // A refused patch says which field and why.
  const bad = table(60).patch(ns, user);
  bad.spec.calibration.datasetSha256 = "nothex";
  await assert.rejects(
    applyPolicyPatch(kubeConfig, bad),
    /--apply e2e-.*\/cal: .*spec\.calibration\.datasetSha256/,
  );
});

// Why --apply does not run kubectl: on a client-side-applied policy, kubectl's server-side apply
// migrates every field the user's client-side apply owned to the new manager
// (migrateToSSAIfNecessary), so the next calibration's patch, which leaves out the models, would
// delete them, and the API server refuses it.
test("calibrate: kubectl apply --server-side takes a client-side-applied policy over", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const user = await clientSideApplied(ns);
  const first = await apply(ns, patchYaml(table(60).patch(ns, user)), ["--force-conflicts"]);
  assert.equal(first.code, 0, first.stderr);
  const second = await apply(ns, patchYaml(table(120).patch(ns, user)), []);
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, /spec\.proposer: Required value/);
});
