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
