// Test helper: the committed example policy, defaulted as the API server would, as a typed object.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { defaultedSpec } from "../policy/defaults.ts";
import type { TestTimePolicy, TestTimePolicySpec } from "../policy/types.ts";

export const examplePath = new URL("../../examples/policy.yaml", import.meta.url);

export function examplePolicy(
  edit: (spec: TestTimePolicySpec) => void = () => {},
  meta: { name?: string; namespace?: string; generation?: number } = {},
): TestTimePolicy {
  const doc = parse(readFileSync(examplePath, "utf8")) as { spec: unknown };
  const spec = defaultedSpec(doc.spec);
  edit(spec);
  return {
    apiVersion: "mull.dev/v1alpha1",
    kind: "TestTimePolicy",
    metadata: {
      name: meta.name ?? "math",
      namespace: meta.namespace ?? "ns1",
      uid: "0000-uid",
      generation: meta.generation ?? 1,
    },
    spec,
  };
}

/**
 * The example policy in a scaling mode, with what the planner sizes pools from: 1000 tokens/s
 * per replica of either role, a GPU budget and room above minReplicas in every pool.
 */
export function plannablePolicy(
  mode: TestTimePolicySpec["scaling"]["mode"],
  room: { gpus: number; maxReplicas: number },
  edit: (spec: TestTimePolicySpec) => void = () => {},
): TestTimePolicy {
  return examplePolicy((s) => {
    s.scaling.mode = mode;
    s.proposer.capacityTokensPerSecond = 1000;
    s.verifier.capacityTokensPerSecond = 1000;
    s.budget.gpus = room.gpus;
    for (const b of s.bins) {
      b.proposer.maxReplicas = room.maxReplicas;
      b.verifier.maxReplicas = room.maxReplicas;
    }
    edit(s);
  });
}
