import assert from "node:assert/strict";
import { test } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { customResourceDefinition } from "./crd.ts";
import { defaultedSpec } from "./defaults.ts";
import { strategyNames } from "./names.ts";
import { specSchema, statusSchema } from "./schema.ts";
import { type SchemaNode, walk } from "./schema-dsl.ts";

test("every schema node has a description, so kubectl explain teaches the whole API", () => {
  for (const root of [specSchema, statusSchema]) {
    walk(root, (n, path) => assert.ok(n.description.length > 0, `no description at ${path}`));
  }
});

test("every list and string under spec is bounded, keeping CEL cost estimates finite", () => {
  walk(specSchema, (n: SchemaNode, path) => {
    if (n.type === "array") assert.ok(n.maxItems !== undefined, `unbounded list at ${path}`);
    if (n.type === "string" && !n.enum) {
      assert.ok(n.maxLength !== undefined, `unbounded string at ${path}`);
    }
  });
});

test("strategy names in the CRD are the proto enum's", () => {
  const expected = Object.keys(Strategy).filter((k) => k !== "STRATEGY_UNSPECIFIED");
  assert.deepEqual([...strategyNames].sort(), expected.sort());
  const crd = JSON.stringify(customResourceDefinition());
  for (const s of expected) assert.ok(crd.includes(`"${s}"`));
});

test("the CRD has the status subresource, printer columns, short name and no generator keys", () => {
  const crd = customResourceDefinition() as {
    spec: { names: { shortNames: string[] }; versions: Array<Record<string, unknown>> };
  };
  const v = crd.spec.versions[0] as {
    subresources: unknown;
    additionalPrinterColumns: Array<{ name: string }>;
  };
  assert.deepEqual(v.subresources, { status: {} });
  assert.deepEqual(
    v.additionalPrinterColumns.map((c) => c.name),
    ["Bins", "GPUs", "Budget", "Ready", "Reason", "Calibrated", "Age"],
  );
  assert.deepEqual(crd.spec.names.shortNames, ["ttp"]);
  assert.ok(!JSON.stringify(crd).includes("tsName"));
});

test("defaulting fills nested defaults like the API server", () => {
  const spec = defaultedSpec({
    proposer: { model: "p" },
    verifier: { model: "v" },
    budget: { gpus: 4 },
    bins: [{ bin: 1, strategies: [{ generations: 4, strategy: "bestOfN" }] }],
  });
  assert.equal(spec.difficulty.bins, 5);
  assert.equal(spec.verifier.aggregation, "last");
  assert.equal(spec.scaling.mode, "planner");
  assert.equal(spec.bins[0]?.proposer.minReplicas, 1);
  assert.equal(spec.proposer.gpus, 1);
});
