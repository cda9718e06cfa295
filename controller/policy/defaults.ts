// The API server's defaulting, replayed from the same schema: unit tests and offline tools
// (bench, examples) get exactly the object the operator would read back from the cluster.

import { specSchema } from "./schema.ts";
import type { SchemaNode } from "./schema-dsl.ts";
import type { TestTimePolicySpec } from "./types.gen.ts";

export function applyDefaults(node: SchemaNode, value: unknown): unknown {
  if (Array.isArray(value)) {
    return node.items ? value.map((v) => applyDefaults(node.items as SchemaNode, v)) : value;
  }
  if (value === null || typeof value !== "object" || !node.properties) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, child] of Object.entries(node.properties)) {
    if (out[name] === undefined && child.default !== undefined) {
      out[name] = structuredClone(child.default);
    }
    if (out[name] !== undefined) out[name] = applyDefaults(child, out[name]);
  }
  return out;
}

/** A spec as a user might write it (defaults omitted), defaulted as the API server would. */
export function defaultedSpec(spec: unknown): TestTimePolicySpec {
  return applyDefaults(specSchema, spec) as TestTimePolicySpec;
}
