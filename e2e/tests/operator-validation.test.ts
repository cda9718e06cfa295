// Issue 4, e2e 3: the API server itself rejects invalid policies, each with a message naming the
// problem (structural schema and CEL rules from controller/policy/schema.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { kubectl, namespace } from "../fixture.ts";
import { installCrd, type PolicyDoc, policyDoc } from "./operator-harness.ts";

const cases: Array<[string, (d: PolicyDoc) => void, RegExp]> = [
  [
    "min > max",
    (d) => Object.assign(d.spec.bins[0].proposer, { minReplicas: 3, maxReplicas: 2 }),
    /minReplicas must be <= maxReplicas/,
  ],
  [
    "too few thresholds",
    (d) => {
      d.spec.difficulty.thresholds = [0.5];
    },
    /exactly bins-1 entries/,
  ],
  [
    "thresholds not increasing",
    (d) => {
      d.spec.difficulty.thresholds = [0.7, 0.3];
    },
    /strictly increasing/,
  ],
  [
    "duplicate thresholds",
    (d) => {
      d.spec.difficulty.thresholds = [0.5, 0.5];
    },
    /strictly increasing/,
  ],
  [
    "threshold above 1",
    (d) => {
      d.spec.difficulty.thresholds = [0.5, 1.5];
    },
    /thresholds\[1\].*less than or equal to 1/,
  ],
  [
    "bin beyond difficulty.bins",
    (d) => {
      d.spec.bins[2].bin = 4;
    },
    /within 1\.\.difficulty\.bins/,
  ],
  [
    "duplicate bin",
    (d) => {
      d.spec.bins[1].bin = 1;
    },
    /Duplicate value|bins\[\]\.bin must be unique/,
  ],
  [
    "beamWidth does not divide generations",
    (d) => {
      d.spec.bins[1].strategies[1].beamWidth = 5;
    },
    /beamWidth must divide generations/,
  ],
  [
    "beam without beamWidth",
    (d) => {
      delete d.spec.bins[1].strategies[1].beamWidth;
    },
    /need beamWidth/,
  ],
  [
    "maxGenerations < defaultGenerations",
    (d) => {
      d.spec.budget.maxGenerations = 8;
    },
    /maxGenerations must be >= budget\.defaultGenerations/,
  ],
  [
    "zero GPU budget",
    (d) => {
      d.spec.budget.gpus = 0;
    },
    /budget\.gpus must be a positive number/,
  ],
  [
    "unknown strategy",
    (d) => {
      d.spec.bins[0].strategies[0].strategy = "greedy";
    },
    /Unsupported value: "greedy"/,
  ],
  [
    "unknown aggregation",
    (d) => {
      d.spec.verifier.aggregation = "mean";
    },
    /Unsupported value: "mean"/,
  ],
  [
    "too many bins",
    (d) => {
      d.spec.difficulty.bins = 11;
    },
    /less than or equal to 10/,
  ],
  [
    "strategy above maxGenerations",
    (d) => {
      d.spec.bins[0].strategies[2].generations = 128;
      d.spec.budget.maxGenerations = 64;
    },
    /may not exceed budget\.maxGenerations/,
  ],
  [
    "duplicate budget level",
    (d) => {
      d.spec.bins[0].strategies[1].generations = 4;
    },
    /may appear only once/,
  ],
  [
    "lookahead without depth",
    (d) => {
      delete d.spec.bins[2].strategies[1].lookahead;
    },
    /lookahead strategy needs lookahead/,
  ],
  [
    "missing model",
    (d) => {
      delete d.spec.proposer.model;
    },
    /spec\.proposer\.model: Required value/,
  ],
  [
    "expected accuracy above 1",
    (d) => {
      d.spec.bins[0].strategies[0].expectedAccuracy = 1.5;
    },
    /expectedAccuracy.*less than or equal to 1/,
  ],
  [
    "negative calibrated cost",
    (d) => {
      d.spec.bins[0].strategies[0].proposerTokens = -1;
    },
    /proposerTokens.*greater than or equal to 0/,
  ],
  [
    "zero scale-up step",
    (d) => {
      d.spec.scaling.maxScaleUpStep = 0;
    },
    /maxScaleUpStep.*greater than or equal to 1/,
  ],
  [
    "negative minReplicas",
    (d) => {
      d.spec.bins[0].verifier.minReplicas = -1;
    },
    /minReplicas.*greater than or equal to 0/,
  ],
  [
    "--served-model-name in args",
    (d) => {
      d.spec.proposer.args = ["--served-model-name=other"];
    },
    /use servedModelName and apiKeySecretRef instead/,
  ],
  [
    "--api-key in the verifier's args",
    (d) => {
      d.spec.verifier.args = ["--api-key", "secret"];
    },
    /spec\.verifier\.args.*use servedModelName and apiKeySecretRef instead/,
  ],
  [
    "API key Secret without a name",
    (d) => {
      d.spec.proposer.apiKeySecretRef = { key: "k" };
    },
    /apiKeySecretRef\.name: Required value/,
  ],
  [
    "name too long for pool Services",
    (d) => {
      d.metadata.name = `p${"x".repeat(55)}`;
    },
    /at most 49 characters/,
  ],
];

test("operator: the API server rejects invalid TestTimePolicies with a message naming the problem", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  // The valid sample goes through: the failures below are the edits', not the sample's.
  await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
    input: stringify(policyDoc("valid", undefined)),
  });
  // So do the planner's fields: pools that may stop at zero, calibrated accuracy and costs.
  await kubectl(["-n", ns, "apply", "--dry-run=server", "-f", "-"], {
    input: stringify(
      policyDoc("planned", undefined, (d) => {
        d.spec.scaling = { mode: "planner", maxScaleUpStep: 2 };
        d.spec.bins[0].proposer = { minReplicas: 0, maxReplicas: 3 };
        d.spec.bins[0].verifier = { minReplicas: 0, maxReplicas: 3 };
        Object.assign(d.spec.bins[0].strategies[0], {
          expectedAccuracy: 0.9,
          proposerTokens: 1200,
          verifierTokens: 800.5,
        });
      }),
    ),
  });
  const failures: string[] = [];
  for (const [what, edit, message] of cases) {
    const r = await kubectl(["-n", ns, "apply", "-f", "-"], {
      input: stringify(policyDoc("bad", undefined, edit)),
      check: false,
    });
    if (r.code === 0) failures.push(`${what}: accepted`);
    else if (!message.test(r.stderr)) failures.push(`${what}: message ${JSON.stringify(r.stderr)}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(cases.length >= 10);
});
