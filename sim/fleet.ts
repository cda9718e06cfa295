// Many simulated replicas in one process: for each difficulty bin, R proposers and R
// verifiers, each a real HTTP server on its own port.
import { INSTANT, type SpeedConfig } from "./batch-scheduler.ts";
import type { SimFormat } from "./format.ts";
import { DEFAULT_MODEL, type ModelConfig } from "./model-config.ts";
import { hash32 } from "./random.ts";
import {
  DEFAULT_PROPOSER_MODEL,
  DEFAULT_VERIFIER_MODEL,
  type Role,
  type SimServer,
  startServer,
} from "./server.ts";

export interface FleetOptions {
  bins?: number;
  // Replicas per role per bin.
  replicas?: number;
  host?: string;
  // 0 (the default) gives every replica a free port; otherwise replicas take consecutive ports
  // from here, bin by bin, proposers before verifiers.
  basePort?: number;
  config?: ModelConfig;
  speed?: SpeedConfig;
  // The formats every replica understands (default: Mull's plain format).
  formats?: readonly SimFormat[];
  proposerModel?: string;
  verifierModel?: string;
  // Fraction of requests every replica fails with a 500.
  errorRate?: number;
  // Makes unseeded requests reproducible; each replica derives its own stream from it.
  seed?: number;
  // Every replica requires this API key on /v1 paths (vLLM's --api-key).
  apiKey?: string;
  // Idle keep-alive connections close after this long (uvicorn: 5 s).
  keepAliveTimeoutMs?: number;
  // Every replica's --max-model-len (default 4096).
  maxModelLen?: number;
}

export interface Replica {
  bin: number;
  role: Role;
  index: number;
  url: string;
  server: SimServer;
}

export interface PoolEndpoints {
  model: string;
  endpoints: string[];
}

export interface BinEndpoints {
  bin: number;
  proposer: PoolEndpoints;
  verifier: PoolEndpoints;
}

export interface Fleet {
  bins: BinEndpoints[];
  replicas: Replica[];
  // The replica serving `url` (throws for an unknown one).
  replica(url: string): Replica;
  // Crashes one replica: open connections are reset mid-request and the port stops listening.
  kill(url: string): Promise<void>;
  // Makes one replica (or, without a url, every replica) fail this fraction of requests.
  setErrorRate(rate: number, url?: string): void;
  stop(): Promise<void>;
}

export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const bins = options.bins ?? 5;
  const perRole = options.replicas ?? 1;
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`bins must be a positive integer, got ${bins}`);
  if (!Number.isInteger(perRole) || perRole < 1) {
    throw new Error(`replicas must be a positive integer, got ${perRole}`);
  }
  const models: Record<Role, string> = {
    proposer: options.proposerModel ?? DEFAULT_PROPOSER_MODEL,
    verifier: options.verifierModel ?? DEFAULT_VERIFIER_MODEL,
  };
  const replicas: Replica[] = [];
  let nextPort = options.basePort ?? 0;
  try {
    // Bins are numbered as in fleet.proto: 1 (easiest) to `bins` (hardest).
    for (let bin = 1; bin <= bins; bin++) {
      for (const role of ["proposer", "verifier"] as const) {
        for (let index = 0; index < perRole; index++) {
          const server = await startServer({
            role,
            model: models[role],
            host: options.host ?? "127.0.0.1",
            port: nextPort,
            config: options.config ?? DEFAULT_MODEL,
            speed: options.speed ?? INSTANT,
            ...(options.formats ? { formats: options.formats } : {}),
            errorRate: options.errorRate ?? 0,
            seed: options.seed === undefined ? undefined : hash32(options.seed, bin, role, index),
            ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
            ...(options.keepAliveTimeoutMs !== undefined
              ? { keepAliveTimeoutMs: options.keepAliveTimeoutMs }
              : {}),
            ...(options.maxModelLen !== undefined ? { maxModelLen: options.maxModelLen } : {}),
          });
          if (nextPort !== 0) nextPort++;
          replicas.push({ bin, role, index, url: server.url, server });
        }
      }
    }
  } catch (error) {
    await Promise.all(replicas.map((r) => r.server.close()));
    throw error;
  }
  const pool = (bin: number, role: Role): PoolEndpoints => ({
    model: models[role],
    endpoints: replicas.filter((r) => r.bin === bin && r.role === role).map((r) => r.url),
  });
  const find = (url: string): Replica => {
    const found = replicas.find((r) => r.url === url);
    if (!found) throw new Error(`no replica at ${url}`);
    return found;
  };
  return {
    bins: Array.from({ length: bins }, (_, i) => ({
      bin: i + 1,
      proposer: pool(i + 1, "proposer"),
      verifier: pool(i + 1, "verifier"),
    })),
    replicas,
    replica: find,
    kill: (url) => find(url).server.kill(),
    setErrorRate(rate, url) {
      for (const r of url === undefined ? replicas : [find(url)]) r.server.setErrorRate(rate);
    },
    stop: async () => {
      await Promise.all(replicas.map((r) => r.server.close()));
    },
  };
}
