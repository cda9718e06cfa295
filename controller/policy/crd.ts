// The CustomResourceDefinition object, assembled from the one schema definition.
import * as names from "./names.ts";
import { printerColumns, specSchema, statusSchema } from "./schema.ts";
import { toOpenApi } from "./schema-dsl.ts";

export function customResourceDefinition(): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${names.plural}.${names.group}`,
      labels: { "app.kubernetes.io/part-of": "mull" },
    },
    spec: {
      group: names.group,
      scope: "Namespaced",
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: names.shortNames,
        categories: names.categories,
      },
      versions: [
        {
          name: names.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
          schema: {
            openAPIV3Schema: {
              description:
                "TestTimePolicy runs compute-optimal test-time scaling (Snell et al. 2024) for one proposer/verifier pair: it sizes per-difficulty-bin vLLM pools and tells the routers which strategy to use for each bin and budget.",
              type: "object",
              required: ["spec"],
              // Pool Deployments and Services are named <policy>-b<bin>-<role>: a Service name is
              // a DNS-1035 label of at most 63 characters, so the policy name must leave room.
              "x-kubernetes-validations": [
                {
                  rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
                  message:
                    "metadata.name must start with a letter and hold only lowercase letters, digits and '-' (pool Services are named <policy>-b<bin>-<role>)",
                },
                {
                  rule: "size(self.metadata.name) <= 49",
                  message:
                    "metadata.name must be at most 49 characters (pool Services are named <policy>-b<bin>-<role>, at most 63)",
                },
              ],
              properties: {
                apiVersion: {
                  description: "APIVersion defines the versioned schema of this object.",
                  type: "string",
                },
                kind: {
                  description: "Kind is the REST resource this object represents.",
                  type: "string",
                },
                metadata: { type: "object" },
                spec: toOpenApi(specSchema),
                status: toOpenApi(statusSchema),
              },
            },
          },
        },
      ],
    },
  };
}
