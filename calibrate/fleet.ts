// The fleet a calibration runs against: the policy whose formats and model names the router would
// use, and the proposer and verifier replicas to ask, wrapped in the router's own HTTP clients
// (router/backends: VllmProposer, PrmVerifier), so every call is byte for byte what the router
// sends at serve time. Where the policy comes from is calibrate/fleet-source.ts.
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import { EndpointPool, type Role } from "../router/backends/endpoint-pool.ts";
import { getJson } from "../router/backends/http-json.ts";
import {
  type Affinity,
  type CallOptions,
  DEFAULT_CALL_OPTIONS,
} from "../router/backends/pool-caller.ts";
import { PrmVerifier } from "../router/backends/prm-verifier.ts";
import { VllmProposer } from "../router/backends/vllm-proposer.ts";
import type { BinBackends } from "../router/engine/api.ts";
import { formatProblems, type PolicyFormats, policyFormats } from "../router/formats/index.ts";

export interface FleetPool {
  // What the router sends as `model` (vLLM checks the served name).
  model: string;
  endpoints: string[];
}

export interface Fleet {
  // Where the policy came from, for messages and the report: a file, "ns/name", or "URLs".
  source: string;
  // The policy as the router would load it (formats, aggregation, probe settings), whose
  // policy-wide fields calibration keeps; its bins and tables are what calibration replaces.
  policy: PolicySnapshot;
  formats: PolicyFormats;
  proposer: FleetPool;
  verifier: FleetPool;
  // The engine's backendsFor for one request. Every bin runs on the same pools: a policy's bins
  // all serve one proposer model and one PRM, so any replica can answer any bin's calls.
  forRequest(): (bin: number) => BinBackends;
}

export interface FleetOptions {
  call?: CallOptions;
  // vLLM's --api-key of each role's replicas.
  apiKeys?: Partial<Record<Role, string>>;
}

export function fleetFor(
  source: string,
  policy: PolicySnapshot,
  pools: Record<Role, FleetPool>,
  options: FleetOptions = {},
): Fleet {
  const problems = formatProblems(policy);
  if (problems.length > 0) throw new Error(`${source}: ${problems.join("; ")}`);
  const formats = policyFormats(policy);
  const call = options.call ?? DEFAULT_CALL_OPTIONS;
  // One pool per role for the whole run, so replica load and ejections carry from one request
  // to the next, as in the router.
  const pool = (role: Role) => {
    const p = pools[role];
    if (p.endpoints.length === 0) throw new Error(`${source}: no ${role} endpoints`);
    const endpoints = p.endpoints.map(trimUrl);
    const made = new EndpointPool(role, p.model, endpoints);
    made.setApiKey(options.apiKeys?.[role]);
    return made;
  };
  const proposerPool = pool("proposer");
  const verifierPool = pool("verifier");
  return {
    source,
    policy,
    formats,
    proposer: {
      model: proposerPool.model,
      endpoints: proposerPool.replicas.map((r) => r.endpoint),
    },
    verifier: {
      model: verifierPool.model,
      endpoints: verifierPool.replicas.map((r) => r.endpoint),
    },
    forRequest() {
      // A request's calls stick to the replicas it used first (warm prefix cache), as the
      // router's FleetBackends.forRequest does.
      const affinity: Affinity = new Map();
      const backends: BinBackends = {
        proposer: new VllmProposer({
          pool: proposerPool,
          affinity,
          format: formats.proposer,
          call,
        }),
        verifier: new PrmVerifier({ pool: verifierPool, affinity, format: formats.verifier, call }),
      };
      return () => backends;
    },
  };
}

export function trimUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

// The model names a replica serves (vLLM's GET /v1/models), first the one it serves by default.
export async function servedModels(
  url: string,
  apiKey?: string,
  signal: AbortSignal = AbortSignal.timeout(10_000),
): Promise<string[]> {
  const raw = (await getJson(
    `${trimUrl(url)}/v1/models`,
    signal,
    apiKey ? { headers: { authorization: `Bearer ${apiKey}` } } : {},
  )) as { data?: { id?: unknown }[] };
  const ids = (Array.isArray(raw?.data) ? raw.data : [])
    .map((card) => card?.id)
    .filter((id): id is string => typeof id === "string");
  if (ids.length === 0) throw new Error(`${trimUrl(url)}/v1/models lists no model`);
  return ids;
}

// The model to send to a pool: the one given (checked against what its first replica serves,
// so a misspelt name fails here, not as vLLM's 404 on every call), or the one it serves.
export async function poolModel(
  role: Role,
  endpoints: readonly string[],
  wanted: string | undefined,
  apiKey?: string,
): Promise<string> {
  const first = endpoints[0];
  if (first === undefined) throw new Error(`no ${role} endpoints`);
  let served: string[];
  try {
    served = await servedModels(first, apiKey);
  } catch (error) {
    throw new Error(`${role} at ${trimUrl(first)}: ${(error as Error).message}`);
  }
  if (wanted === undefined) return served[0] as string;
  if (!served.includes(wanted)) {
    throw new Error(
      `${role} at ${trimUrl(first)} serves ${served.map((m) => `"${m}"`).join(", ")}, not "${wanted}"`,
    );
  }
  return wanted;
}
