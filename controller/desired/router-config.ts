// The `<policy>-router` ConfigMap: a RouterConfig (proto/mull/v1/fleet.proto) holding this
// policy's PolicySnapshot in protobuf JSON mapping, as YAML. The router's YAML PolicySource reads
// exactly this shape, so routers learn bins, thresholds, tables and pool endpoints from it.
import { create, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { stringify } from "yaml";
import {
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
  type PromptFormatSchema,
  RouterConfigSchema,
  type VerifierFormatSchema,
} from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Aggregation, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import type { Role } from "../policy/names.ts";
import type { ModelServer, PromptFormat, TestTimePolicy, Verifier } from "../policy/types.ts";
import { apiKeyFile, endpoint, routerConfigLabels, routerConfigName } from "./naming.ts";
import { ownerReference } from "./pool.ts";

export const routerConfigKey = "router.yaml";

/** Thresholds as written, or bins-1 evenly spaced cut points until calibration writes real ones. */
export function effectiveThresholds(bins: number, thresholds: number[] | undefined): number[] {
  if (thresholds) return thresholds;
  return Array.from({ length: bins - 1 }, (_, i) => Number(((i + 1) / bins).toFixed(6)));
}

/** What the snapshot carries beyond the spec: the planner's levels and the pools' readiness. */
export interface SnapshotInputs {
  /** The highest budget level a bin may use now; undefined leaves the table's top. */
  maxLevel?: (bin: number) => number | undefined;
  /** Ready replicas of a pool as observed; undefined when unknown. */
  readyReplicas?: (bin: number, role: Role) => number | undefined;
  /** The text of spec.proposer.prompt.chatTemplateConfigMap, read by the operator. */
  chatTemplate?: string;
}

/** What the router sends as `model` (vLLM checks the served name) and where its API key is. */
function servingIdentity(s: ModelServer | Verifier): { model: string; apiKeyFile: string } {
  return {
    model: s.servedModelName ?? s.model,
    apiKeyFile: s.apiKeySecretRef ? apiKeyFile(s.apiKeySecretRef) : "",
  };
}

export function policySnapshot(
  policy: TestTimePolicy,
  inputs: SnapshotInputs = {},
): PolicySnapshot {
  const { spec, metadata } = policy;
  const maxLevel = (bin: number) => {
    const l = inputs.maxLevel?.(bin);
    return l === undefined ? {} : { maxLevel: l };
  };
  const ready = (bin: number, role: Role) => {
    const n = inputs.readyReplicas?.(bin, role);
    return n === undefined ? {} : { readyReplicas: n };
  };
  const ns = metadata.namespace;
  return create(PolicySnapshotSchema, {
    name: metadata.name,
    namespace: ns,
    generation: BigInt(metadata.generation ?? 0),
    bins: spec.difficulty.bins,
    estimator: Estimator[spec.difficulty.estimator],
    probeSamples: spec.difficulty.probeSamples,
    maxProbeFraction: spec.difficulty.maxProbeFraction,
    thresholds: effectiveThresholds(spec.difficulty.bins, spec.difficulty.thresholds),
    defaultGenerations: spec.budget.defaultGenerations,
    maxGenerations: spec.budget.maxGenerations,
    aggregation: Aggregation[spec.verifier.aggregation],
    stepSeparator: spec.verifier.stepSeparator,
    // Passed through as written: the router owns the formats' defaults (router/formats).
    ...(spec.proposer.prompt ? { prompt: promptFormat(spec.proposer.prompt, inputs) } : {}),
    ...(spec.verifier.format ? { verifierFormat: verifierFormat(spec.verifier) } : {}),
    binTable: [...spec.bins]
      .sort((a, b) => a.bin - b.bin)
      .map((b) => ({
        bin: b.bin,
        levels: [...b.strategies]
          .sort((x, y) => x.generations - y.generations)
          .map((s) => ({
            strategy: Strategy[s.strategy],
            generations: s.generations,
            beamWidth: s.beamWidth ?? 0,
            lookahead: s.lookahead ?? 0,
            sequentialRatio: s.sequentialRatio ?? 0,
            maxSteps: s.maxSteps ?? 0,
          })),
        ...maxLevel(b.bin),
        proposer: {
          ...servingIdentity(spec.proposer),
          endpoints: [endpoint(metadata.name, ns, b.bin, "proposer")],
          ...ready(b.bin, "proposer"),
        },
        verifier: {
          ...servingIdentity(spec.verifier),
          endpoints: [endpoint(metadata.name, ns, b.bin, "verifier")],
          ...ready(b.bin, "verifier"),
        },
      })),
  });
}

// The ConfigMap reference is the operator's business; the router gets the template's text.
function promptFormat(
  p: PromptFormat,
  inputs: SnapshotInputs,
): MessageInitShape<typeof PromptFormatSchema> {
  const { chatTemplateConfigMap, ...fields } = p;
  return chatTemplateConfigMap && inputs.chatTemplate !== undefined
    ? { ...fields, chatTemplate: inputs.chatTemplate }
    : fields;
}

function verifierFormat(v: Verifier): MessageInitShape<typeof VerifierFormatSchema> {
  return {
    format: v.format ?? "",
    template: v.template ?? "",
    stepTag: v.stepTag ?? "",
    ...(v.positiveIndex === undefined ? {} : { positiveIndex: v.positiveIndex }),
  };
}

export function desiredRouterConfig(
  policy: TestTimePolicy,
  snapshot: PolicySnapshot = policySnapshot(policy),
): V1ConfigMap {
  const config = create(RouterConfigSchema, { policies: [snapshot] });
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: routerConfigName(policy.metadata.name),
      namespace: policy.metadata.namespace,
      labels: routerConfigLabels(policy.metadata.name),
      ownerReferences: [ownerReference(policy)],
    },
    data: { [routerConfigKey]: stringify(toJson(RouterConfigSchema, config)) },
  };
}
