// Where a calibration's fleet comes from (`--policy FILE | --policy ns/name | --proposer URL
// --verifier URL`). A policy, from a file or the cluster, gives the formats and model names, as
// the operator would hand them to the router (controller/desired/router-config.ts
// policySnapshot, after the API server's defaulting); the replicas are the URLs given, or else
// the policy's own pool Services when this machine can reach them (inside the cluster).
import { existsSync, readFileSync } from "node:fs";
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { chatTemplateText, routerChatTemplateRef } from "../controller/desired/format-args.ts";
import { endpoint, poolName, servingPort } from "../controller/desired/naming.ts";
import { policySnapshot } from "../controller/desired/router-config.ts";
import { defaultedSpec } from "../controller/policy/defaults.ts";
import * as api from "../controller/policy/names.ts";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import type { Role } from "../router/backends/endpoint-pool.ts";
import { type Fleet, type FleetOptions, fleetFor, poolModel, servedModels } from "./fleet.ts";

export interface FleetSpec extends FleetOptions {
  // A TestTimePolicy: a YAML file, or "namespace/name" in the cluster.
  policy?: string;
  // Replica URLs (each role's list is one pool); required without a policy.
  proposer?: string[];
  verifier?: string[];
  // Model names to send; default: the policy's, or what the replicas serve.
  proposerModel?: string;
  verifierModel?: string;
  // For a policy in the cluster (default: the usual kubeconfig lookup).
  kubeConfig?: KubeConfig;
}

const CLUSTER_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

export async function resolveFleet(spec: FleetSpec): Promise<Fleet> {
  const urls = givenUrls(spec);
  if (spec.policy === undefined) {
    if (urls === undefined) {
      throw new Error("give a policy (--policy FILE or ns/name) or --proposer URL --verifier URL");
    }
    return fromPolicy("URLs", bareUrlPolicy(), urls, spec);
  }
  if (existsSync(spec.policy)) {
    const policy = readPolicyFile(spec.policy);
    return fromPolicy(spec.policy, policySnapshot(policy), urls, spec, policy);
  }
  const match = CLUSTER_NAME.exec(spec.policy);
  if (!match) throw new Error(`--policy ${spec.policy}: no such file, and not a namespace/name`);
  const kubeConfig = spec.kubeConfig ?? defaultKubeConfig();
  const policy = await readClusterPolicy(kubeConfig, match[1] as string, match[3] as string);
  const chatTemplate = await clusterChatTemplate(kubeConfig, policy);
  return fromPolicy(spec.policy, policySnapshot(policy, { chatTemplate }), urls, spec, policy);
}

function givenUrls(spec: FleetSpec): Record<Role, string[]> | undefined {
  const proposer = spec.proposer ?? [];
  const verifier = spec.verifier ?? [];
  if (proposer.length === 0 && verifier.length === 0) return undefined;
  if (proposer.length === 0 || verifier.length === 0) {
    throw new Error("give both --proposer URL and --verifier URL");
  }
  return { proposer, verifier };
}

async function fromPolicy(
  source: string,
  snapshot: ReturnType<typeof policySnapshot>,
  urls: Record<Role, string[]> | undefined,
  spec: FleetSpec,
  policy?: TestTimePolicy,
): Promise<Fleet> {
  const endpoints = urls ?? (policy ? await reachableServices(source, policy, spec) : undefined);
  if (endpoints === undefined) throw new Error(`${source}: no endpoints`);
  const wanted = (role: Role) => {
    const flag = role === "proposer" ? spec.proposerModel : spec.verifierModel;
    const server = policy?.spec[role];
    return flag ?? (server ? (server.servedModelName ?? server.model) : undefined);
  };
  const model = (role: Role) =>
    poolModel(role, endpoints[role], wanted(role), spec.apiKeys?.[role]);
  const [proposer, verifier] = await Promise.all([model("proposer"), model("verifier")]);
  return fleetFor(
    source,
    snapshot,
    {
      proposer: { model: proposer, endpoints: endpoints.proposer },
      verifier: { model: verifier, endpoints: endpoints.verifier },
    },
    spec,
  );
}

// Bare URLs: the router's defaults for everything a policy would say (the API server's
// defaulting of a spec that gives only the models), with the built-in formats.
function bareUrlPolicy() {
  const policy: TestTimePolicy = {
    apiVersion: api.apiVersion,
    kind: api.kind,
    metadata: { name: "calibrate", namespace: "default" },
    spec: defaultedSpec({
      proposer: { model: "proposer" },
      verifier: { model: "verifier" },
      budget: { gpus: 1 },
      bins: [],
    }),
  };
  return policySnapshot(policy);
}

export function readPolicyFile(path: string): TestTimePolicy {
  const docs = parseAllDocuments(readFileSync(path, "utf8"));
  const objects = (Array.isArray(docs) ? docs : [docs]).map((d) => {
    if (d.errors.length > 0) throw new Error(`${path}: ${d.errors[0]?.message}`);
    return d.toJS() as Partial<TestTimePolicy> | null;
  });
  const found = objects.filter((o) => o?.kind === api.kind);
  if (found.length !== 1) {
    throw new Error(`${path}: expected one ${api.kind}, found ${found.length}`);
  }
  const raw = found[0] as Partial<TestTimePolicy>;
  if (raw.spec === undefined) throw new Error(`${path}: the ${api.kind} has no spec`);
  const policy: TestTimePolicy = {
    apiVersion: raw.apiVersion ?? api.apiVersion,
    kind: api.kind,
    metadata: {
      ...raw.metadata,
      name: raw.metadata?.name ?? "calibrate",
      namespace: raw.metadata?.namespace ?? "default",
    },
    spec: defaultedSpec(raw.spec),
  };
  if (routerChatTemplateRef(policy)) {
    // The router renders a completion-mode template itself, so calibration needs its text.
    throw new Error(
      `${path}: spec.proposer.prompt.chatTemplateConfigMap is in the cluster; give the template as chatTemplate, or calibrate the policy in the cluster (--policy ${policy.metadata.namespace}/${policy.metadata.name})`,
    );
  }
  return policy;
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

async function readClusterPolicy(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
): Promise<TestTimePolicy> {
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  try {
    return (await custom.getNamespacedCustomObject({
      group: api.group,
      version: api.version,
      namespace,
      plural: api.plural,
      name,
    })) as TestTimePolicy;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) {
      throw new Error(`${api.kind} ${namespace}/${name} not found`);
    }
    throw new Error(`reading ${api.kind} ${namespace}/${name}: ${(error as Error).message}`);
  }
}

async function clusterChatTemplate(
  kubeConfig: KubeConfig,
  policy: TestTimePolicy,
): Promise<string | undefined> {
  const ref = routerChatTemplateRef(policy);
  if (ref === undefined) return undefined;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let data: Record<string, string> | undefined;
  try {
    data = (
      await core.readNamespacedConfigMap({ name: ref.name, namespace: policy.metadata.namespace })
    ).data;
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 404)) throw error;
  }
  return chatTemplateText(policy, data);
}

// The policy's pool Services (one per bin and role, as the operator names them), kept when they
// answer: from outside the cluster they do not resolve, and the message says what to do instead.
async function reachableServices(
  source: string,
  policy: TestTimePolicy,
  spec: FleetSpec,
): Promise<Record<Role, string[]>> {
  const { name, namespace } = policy.metadata;
  const reachable = async (role: Role) => {
    const services = policy.spec.bins.map((b) => endpoint(name, namespace, b.bin, role));
    const answered = await Promise.all(
      services.map((url) =>
        servedModels(url, spec.apiKeys?.[role], AbortSignal.timeout(3_000)).then(
          () => true,
          () => false,
        ),
      ),
    );
    const up = services.filter((_, i) => answered[i]);
    if (up.length === 0) {
      const first = policy.spec.bins[0]?.bin ?? 1;
      throw new Error(
        `${source}: no ${role} Service of the policy answers from here (${services.join(", ") || "no bins"}); port-forward one (kubectl -n ${namespace} port-forward svc/${poolName(name, first, role)} 8001:${servingPort}) and give --${role} http://127.0.0.1:8001`,
      );
    }
    return up;
  };
  const [proposer, verifier] = await Promise.all([reachable("proposer"), reachable("verifier")]);
  return { proposer, verifier };
}
