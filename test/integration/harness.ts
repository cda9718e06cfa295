// A router in front of a simulated vLLM fleet, all on loopback: real HTTP between router and
// sim, real gRPC between the test and the router. Not a test file itself (no .test.ts).
import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { create, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { stringify } from "yaml";
import {
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
  RouterConfigSchema,
} from "../../proto/gen/mull/v1/fleet_pb.ts";
import {
  Aggregation,
  Router,
  Strategy,
  type StrategyConfigSchema,
} from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import type { EngineOptionsInput } from "../../router/engine/options.ts";
import { createClient, type ServiceClient } from "../../router/grpc/adapter.ts";
import { StaticPolicySource } from "../../router/policy/policy-source.ts";
import {
  type RouterOptions,
  type RunningRouter,
  startRouter,
} from "../../router/router-process.ts";
import type { RouterEngine } from "../../router/service/solve-service.ts";
import type { SpeedConfig } from "../../sim/batch-scheduler.ts";
import { type Fleet, type FleetOptions, startFleet } from "../../sim/fleet.ts";
import type { SimFormat } from "../../sim/format.ts";

type PolicyInit = MessageInitShape<typeof PolicySnapshotSchema>;
// A policy's formats (its `prompt` and `verifierFormat`); absent: the router's defaults.
export type PolicyFormatsInit = Pick<PolicyInit, "prompt" | "verifierFormat">;

export interface Stack {
  fleet: Fleet;
  router: RunningRouter;
  policy: PolicySnapshot;
  // The router's policies, swappable by the test.
  policies: StaticPolicySource;
  client: ServiceClient<typeof Router>;
  address: string;
  close(): Promise<void>;
}

export interface StackOptions {
  bins?: number;
  replicas?: number;
  speed?: SpeedConfig;
  levels?: Level[];
  router?: Partial<RouterOptions>;
  engine?: RouterEngine;
  engineOptions?: EngineOptionsInput;
  seed?: number;
  // What the simulated models understand (default: the sim's default format), and the policy's
  // formats (default: the router's, which match it).
  simFormats?: readonly SimFormat[];
  formats?: PolicyFormatsInit;
  // vLLM serving options every sim replica runs with (API key, keep-alive idle close).
  serving?: Pick<FleetOptions, "apiKey" | "keepAliveTimeoutMs">;
}

export const POLICY = "math";

export type Level = MessageInitShape<typeof StrategyConfigSchema>;

// One policy over the whole fleet (sim bins are numbered 1..B like the policy). Every bin gets the same
// strategy table (small budgets, so tests stay quick).
export function policyFor(
  fleet: Fleet,
  levels: Level[],
  formats: PolicyFormatsInit = {},
): PolicySnapshot {
  const bins = fleet.bins.length;
  return create(PolicySnapshotSchema, {
    name: POLICY,
    namespace: "default",
    bins,
    estimator: Estimator.probe,
    probeSamples: 2,
    thresholds: Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins),
    defaultGenerations: 4,
    maxGenerations: 64,
    aggregation: Aggregation.last,
    stepSeparator: "<extra_0>",
    ...formats,
    binTable: fleet.bins.map((b) => ({
      bin: b.bin,
      levels,
      proposer: b.proposer,
      verifier: b.verifier,
    })),
  });
}

export const DEFAULT_LEVELS: Level[] = [{ strategy: Strategy.bestOfN, generations: 4 }];

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const fleet = await startFleet({
    bins: options.bins ?? 2,
    replicas: options.replicas ?? 1,
    ...(options.speed ? { speed: options.speed } : {}),
    seed: options.seed ?? 7,
    ...(options.simFormats ? { formats: options.simFormats } : {}),
    ...options.serving,
  });
  const policy = policyFor(fleet, options.levels ?? DEFAULT_LEVELS, options.formats);
  const policies = new StaticPolicySource([policy]);
  const router = await startRouter({
    policies,
    engine: options.engine ?? createEngine(options.engineOptions),
    host: "127.0.0.1",
    port: 0,
    defaultMetrics: false,
    shutdownGraceMs: 2_000,
    ...options.router,
  });
  const address = `127.0.0.1:${router.port}`;
  const client = createClient(Router, address);
  return {
    fleet,
    router,
    policy,
    policies,
    client,
    address,
    close: async () => {
      client.close();
      await router.shutdown(1_000);
      await fleet.stop();
    },
  };
}

/** The YAML of a router config file (`mull router --config`) serving `policies`. */
export function routerConfigYaml(policies: PolicySnapshot[]): string {
  return stringify(toJson(RouterConfigSchema, create(RouterConfigSchema, { policies })));
}

/** How a call ended: OK, or its gRPC status name and details. */
export async function grpcStatus(
  call: Promise<unknown>,
): Promise<{ code: string; details: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as grpc.ServiceError;
    return { code: grpc.status[e.code] ?? String(e.code), details: e.details };
  }
  return { code: "OK", details: "" };
}

/**
 * Collects a spawned `mull` process's stderr; `port` resolves with the number `pattern` captures
 * in it (the port it logs it listens on) and rejects if the process exits first.
 */
export function stderrPort(
  child: ChildProcess & { stderr: Readable },
  pattern: RegExp,
): { port: Promise<number>; log: () => string } {
  let log = "";
  child.stderr.setEncoding("utf8");
  const port = new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (chunk: string) => {
      log += chunk;
      const match = pattern.exec(log);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`router exited early (${code}): ${log}`)));
  });
  return { port, log: () => log };
}
