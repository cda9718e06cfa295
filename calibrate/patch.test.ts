import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import type { GridCell } from "./grid.ts";
import { defaultGrid } from "./grid.ts";
import type { ProblemResult } from "./measurement.ts";
import { type PatchInput, patchYaml, policyPatch } from "./patch.ts";
import { select } from "./select.ts";

const dataset = { sha256: "ab".repeat(32), problems: 40 };
const options = {
  name: "cal",
  namespace: "team",
  dataset,
  calibratedAt: "2026-12-02T08:00:00Z",
  probeSamples: 4,
};

// Forty problems in two bins over the whole default grid at N=4 and N=16: in bin 1 (easy)
// majority is right everywhere, in bin 2 only beam(M=4) is, at N=16.
function measured(): { results: ProblemResult[]; grid: GridCell[] } {
  const grid = defaultGrid([4, 16]);
  const results = Array.from({ length: 40 }, (_, i): ProblemResult => {
    const easy = i < 20;
    return {
      id: `p${i}`,
      probeScore: easy ? 0.7 + i * 0.001 : 0.3 + i * 0.001,
      oraclePass1: null,
      cells: grid.map((c) => ({
        label: c.label,
        budget: c.budget,
        correct: easy ? c.label === "majority" : c.label === "beam(M=4)" && c.budget === 16,
        generations: c.budget + 0.5,
        proposerTokens: c.budget * 301.4,
        verifierTokens: c.budget * 50.6,
        backendCalls: 3,
      })),
    };
  });
  return { results, grid };
}

test("the patch holds the probe, each bin's table with accuracy and costs, and provenance", () => {
  const { results, grid } = measured();
  const selection = select(results, grid, { bins: 2 });
  const input: PatchInput = selection;
  const patch = policyPatch(input, options);
  assert.deepEqual(patch.metadata, { name: "cal", namespace: "team" });
  assert.equal(patch.apiVersion, "mull.dev/v1alpha1");
  assert.equal(patch.kind, "TestTimePolicy");
  assert.deepEqual(patch.spec.difficulty, {
    bins: 2,
    probeSamples: 4,
    thresholds: [Number(selection.thresholds[0]?.toFixed(6))],
  });
  assert.deepEqual(patch.spec.budget, { maxGenerations: 16 });
  assert.deepEqual(patch.spec.bins, [
    {
      bin: 1,
      strategies: [
        {
          generations: 4,
          strategy: "majority",
          expectedAccuracy: 1,
          proposerTokens: 1206,
          verifierTokens: 202,
        },
        {
          generations: 16,
          strategy: "majority",
          expectedAccuracy: 1,
          proposerTokens: 4822,
          verifierTokens: 810,
        },
      ],
    },
    {
      bin: 2,
      strategies: [
        // Nothing is right at N=4: a tie of every cell, to the cheapest (the grid's first).
        {
          generations: 4,
          strategy: "bestOfN",
          expectedAccuracy: 0,
          proposerTokens: 1206,
          verifierTokens: 202,
        },
        {
          generations: 16,
          strategy: "beam",
          beamWidth: 4,
          expectedAccuracy: 1,
          proposerTokens: 4822,
          verifierTokens: 810,
        },
      ],
    },
  ]);
  assert.deepEqual(patch.spec.calibration, {
    datasetSha256: dataset.sha256,
    problems: 40,
    calibratedAt: "2026-12-02T08:00:00Z",
    budgets: [4, 16],
  });
  const yaml = patchYaml(patch);
  assert.match(yaml, /^# Written by mull calibrate/);
  assert.match(yaml, /--field-manager mull-calibrate/);
  assert.match(yaml, /mull calibrate --apply/);
  assert.match(yaml, /Not on a policy\n# created by a plain `kubectl apply`/);
  assert.deepEqual(parse(yaml), patch);
});

const level = (budget: number, spec: GridCell["spec"]) => ({
  budget,
  spec,
  cvAccuracy: 0.123456,
  proposerTokens: 10.4,
  verifierTokens: 2.6,
});

test("levels carry only the fields their strategy reads", () => {
  const input: PatchInput = {
    thresholds: [0.1234567],
    budgets: [16, 64],
    bins: [
      {
        bin: 1,
        chosen: [
          level(64, { label: "lookahead(k=3)", strategy: "lookahead", beamWidth: 4, lookahead: 3 }),
          level(16, { label: "revision(seq=1/√N)", strategy: "revision", sequentialRatio: 1 / 3 }),
        ],
      },
    ],
  };
  const patch = policyPatch(input, { ...options, namespace: undefined });
  assert.deepEqual(patch.metadata, { name: "cal" });
  assert.deepEqual(patch.spec.difficulty.thresholds, [0.123457]);
  assert.deepEqual(patch.spec.bins[0]?.strategies, [
    {
      generations: 16,
      strategy: "revision",
      sequentialRatio: 0.333333,
      expectedAccuracy: 0.1235,
      proposerTokens: 10,
      verifierTokens: 3,
    },
    {
      generations: 64,
      strategy: "lookahead",
      beamWidth: 4,
      lookahead: 3,
      expectedAccuracy: 0.1235,
      proposerTokens: 10,
      verifierTokens: 3,
    },
  ]);
});

test("against the policy it read: maxGenerations raised when needed, extra bins refused", () => {
  const input: PatchInput = {
    thresholds: [],
    budgets: [4, 256],
    bins: [{ bin: 1, chosen: [level(4, { label: "bestOfN", strategy: "bestOfN" })] }],
  };
  const policy = { maxGenerations: 64, binTable: [] };
  assert.deepEqual(policyPatch(input, { ...options, policy }).spec.budget, { maxGenerations: 256 });
  assert.deepEqual(
    policyPatch(input, { ...options, policy: { ...policy, maxGenerations: 1024 } }).spec.budget,
    { maxGenerations: 1024 },
  );
  const three = { maxGenerations: 256, binTable: [1, 2, 3].map((bin) => ({ bin })) } as never;
  assert.throws(
    () => policyPatch(input, { ...options, policy: three }),
    /has bins 2, 3 too: calibrate it with --bins 3/,
  );
  assert.throws(
    () => policyPatch({ ...input, budgets: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, options),
    /at most 8 budgets/,
  );
  assert.throws(() => policyPatch({ ...input, budgets: [2048] }, options), /at most 1024/);
});
