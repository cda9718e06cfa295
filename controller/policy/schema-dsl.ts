// A tiny builder for OpenAPI v3 structural schemas. The TestTimePolicy schema is written once with
// these helpers (schema.ts); crds/generate.ts turns that one value into both the CRD YAML and the
// TypeScript types, so the two can never disagree. Every builder takes a description first: the
// API server serves them to `kubectl explain`, and a schema node without one is a bug.

export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?:
    | "FieldValueInvalid"
    | "FieldValueForbidden"
    | "FieldValueRequired"
    | "FieldValueDuplicate";
}

export interface SchemaNode {
  description: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  anyOf?: Array<{ type: string }>;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  "x-kubernetes-validations"?: CelRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  /** Generator-only: the TS interface name for this object (stripped from the CRD). */
  tsName?: string;
  /** Generator-only: a TS type literal to use instead of deriving one (stripped from the CRD). */
  tsType?: string;
}

type Extra = Omit<SchemaNode, "description" | "type" | "properties" | "items">;

export interface ObjectOptions extends Extra {
  /** Property names that must be present (defaults do not count; list them anyway if required). */
  required?: string[];
  rules?: CelRule[];
}

export function obj(
  description: string,
  properties: Record<string, SchemaNode>,
  options: ObjectOptions = {},
): SchemaNode {
  const { rules, ...rest } = options;
  const node: SchemaNode = { description, type: "object", properties, ...rest };
  if (rules && rules.length > 0) node["x-kubernetes-validations"] = rules;
  return node;
}

export function str(description: string, extra: Extra = {}): SchemaNode {
  return { description, type: "string", maxLength: 256, ...extra };
}

export function int(description: string, extra: Extra = {}): SchemaNode {
  return { description, type: "integer", format: "int32", ...extra };
}

export function num(description: string, extra: Extra = {}): SchemaNode {
  return { description, type: "number", format: "double", ...extra };
}

export function bool(description: string, extra: Extra = {}): SchemaNode {
  return { description, type: "boolean", ...extra };
}

export function oneOf(
  description: string,
  values: readonly string[],
  extra: Extra = {},
): SchemaNode {
  return { description, type: "string", enum: [...values], ...extra };
}

export function list(
  description: string,
  items: SchemaNode,
  extra: Extra & { rules?: CelRule[] } = {},
): SchemaNode {
  const { rules, ...rest } = extra;
  const node: SchemaNode = { description, type: "array", items, ...rest };
  if (rules && rules.length > 0) node["x-kubernetes-validations"] = rules;
  return node;
}

export function stringMap(description: string, extra: Extra = {}): SchemaNode {
  return {
    description,
    type: "object",
    additionalProperties: { description: "A value.", type: "string", maxLength: 1024 },
    maxProperties: 64,
    ...extra,
  };
}

/** A Kubernetes quantity ("500m", "16Gi", 2): the API server's int-or-string shape. */
export function quantity(description: string): SchemaNode {
  return {
    description,
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
    tsType: "number | string",
  };
}

/** An object the operator passes through untouched (e.g. a core/v1 EnvVarSource). */
export function opaque(description: string, tsType = "Record<string, unknown>"): SchemaNode {
  return { description, type: "object", "x-kubernetes-preserve-unknown-fields": true, tsType };
}

/** Deep-copies a node without the generator-only keys, for the CRD YAML. */
export function toOpenApi(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "tsName" || key === "tsType") continue;
    if (key === "properties") {
      const props: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(value as Record<string, SchemaNode>)) {
        props[name] = toOpenApi(child);
      }
      out[key] = props;
    } else if (key === "items" || key === "additionalProperties") {
      out[key] = toOpenApi(value as SchemaNode);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Visits every node with its dotted path (arrays as `[]`), parents first. */
export function walk(
  node: SchemaNode,
  visit: (n: SchemaNode, path: string) => void,
  path = "",
): void {
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    walk(child, visit, path ? `${path}.${name}` : name);
  }
  if (node.items) walk(node.items, visit, `${path}[]`);
  if (node.additionalProperties) walk(node.additionalProperties, visit, `${path}{}`);
}
