// The backends of every policy's pools. Pools live as long as their endpoint list does, so a
// replica's load and ejection state carry over from one request to the next and across config
// reloads that do not change that pool. Each request gets its own view (forRequest) that keeps
// its calls on the replicas it used first.
import type { PolicySnapshot, Pool } from "../../proto/gen/mull/v1/fleet_pb.ts";
import type { BinBackends } from "../engine/api.ts";
import { invalidArgument } from "../engine/errors.ts";
import type { PolicyFormats } from "../formats/index.ts";
import { type KeyRead, readApiKey, readApiKeySync } from "./api-key-file.ts";
import { expandEndpoints, type Resolve, resolveAll } from "./dns-expansion.ts";
import { EndpointPool, type PoolHealthEvent, type Role } from "./endpoint-pool.ts";
import type { Affinity, CallOptions } from "./pool-caller.ts";
import { PrmVerifier } from "./prm-verifier.ts";
import type { EjectionOptions } from "./replica.ts";
import { VllmProposer } from "./vllm-proposer.ts";

export interface FleetBackendsOptions {
  call: CallOptions;
  ejection?: Partial<EjectionOptions>;
  // Replica ejections and re-admissions, for metrics and logs.
  onHealth?: (event: PoolHealthEvent) => void;
  // The clock ejection windows run on (tests inject one).
  now?: () => number;
  // Problems worth an operator's attention (an unreadable API key file).
  log?: (line: string) => void;
  maxVerifierBatch?: number;
  // How often pool hostnames (headless Services) are re-resolved into pod addresses; 0 = never.
  dnsRefreshMs?: number;
  resolve?: Resolve;
}

export class FleetBackends {
  private readonly pools = new Map<string, EndpointPool>();
  // The endpoints as configured (before DNS expansion), per pool.
  private readonly configured = new Map<EndpointPool, string[]>();
  // The API key file of each pool that has one, and the last problem reading it.
  private readonly keyFiles = new Map<EndpointPool, { path: string; error?: string }>();
  private readonly options: FleetBackendsOptions;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(options: FleetBackendsOptions) {
    this.options = options;
    const every = options.dnsRefreshMs ?? 5_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.refresh(), every);
      this.timer.unref();
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  // Re-resolve every pool's hostnames into replica addresses, and re-read the API key files.
  async refresh(): Promise<void> {
    await Promise.all([
      ...[...this.configured].map(([pool, endpoints]) => this.expand(pool, endpoints)),
      ...[...this.keyFiles].map(async ([pool, file]) =>
        this.applyKey(pool, await readApiKey(file.path)),
      ),
    ]);
  }

  // A key that cannot be read leaves the pool without one (its calls then get vLLM's 401, which
  // names the problem) and is logged once per change, not on every refresh.
  private applyKey(pool: EndpointPool, read: KeyRead): void {
    const file = this.keyFiles.get(pool);
    if (file === undefined) return;
    const error = "error" in read ? read.error : undefined;
    if (error !== undefined && error !== file.error)
      this.options.log?.(`${pool.role} pool "${pool.model}": ${error}`);
    file.error = error;
    pool.setApiKey("key" in read ? read.key : undefined);
  }

  private async expand(pool: EndpointPool, endpoints: string[]): Promise<void> {
    pool.setEndpoints(await expandEndpoints(endpoints, this.options.resolve ?? resolveAll));
  }

  pool(role: Role, spec: Pool | undefined): EndpointPool {
    const model = spec?.model ?? "";
    const endpoints = (spec?.endpoints ?? []).map((e) => e.replace(/\/+$/, ""));
    const apiKeyFile = spec?.apiKeyFile ?? "";
    const key = JSON.stringify([role, model, endpoints, apiKeyFile]);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const { ejection, onHealth, now } = this.options;
      pool = new EndpointPool(role, model, endpoints, {
        ...(ejection ? { ejection } : {}),
        ...(onHealth ? { onHealth } : {}),
        ...(now ? { now } : {}),
      });
      this.pools.set(key, pool);
      this.configured.set(pool, endpoints);
      if (apiKeyFile !== "") {
        this.keyFiles.set(pool, { path: apiKeyFile });
        this.applyKey(pool, readApiKeySync(apiKeyFile));
      }
      if ((this.options.dnsRefreshMs ?? 5_000) > 0) void this.expand(pool, endpoints);
    }
    return pool;
  }

  // Forget pools no configured policy uses any more (after a reload).
  retain(policies: Iterable<PolicySnapshot>): void {
    const live = new Set<EndpointPool>();
    for (const policy of policies) {
      for (const bin of policy.binTable) {
        live.add(this.pool("proposer", bin.proposer));
        live.add(this.pool("verifier", bin.verifier));
      }
    }
    for (const [key, pool] of this.pools) {
      if (live.has(pool)) continue;
      this.pools.delete(key);
      this.configured.delete(pool);
      this.keyFiles.delete(pool);
    }
  }

  // The engine's backendsFor(bin) for one request. Bin 0 is the difficulty probe, before a bin
  // is known: it goes to the least-loaded bin's pools (bin 1 on a tie), since any proposer of
  // the policy can produce probe samples.
  forRequest(policy: PolicySnapshot, formats: PolicyFormats): (bin: number) => BinBackends {
    const affinity: Affinity = new Map();
    const cache = new Map<number, BinBackends>();
    return (bin: number) => {
      const chosen = bin === 0 ? this.leastLoadedBin(policy) : bin;
      let backends = cache.get(chosen);
      if (backends === undefined) {
        const entry = policy.binTable.find((b) => b.bin === chosen);
        if (entry === undefined) {
          const known = policy.binTable.map((b) => b.bin).join(", ");
          throw invalidArgument(`policy "${policy.name}" has no bin ${bin} (bins: ${known})`);
        }
        backends = {
          proposer: new VllmProposer({
            pool: this.pool("proposer", entry.proposer),
            affinity,
            format: formats.proposer,
            call: this.options.call,
          }),
          verifier: new PrmVerifier({
            pool: this.pool("verifier", entry.verifier),
            affinity,
            format: formats.verifier,
            call: this.options.call,
            ...(this.options.maxVerifierBatch ? { maxBatch: this.options.maxVerifierBatch } : {}),
          }),
        };
        cache.set(chosen, backends);
      }
      return backends;
    };
  }

  private leastLoadedBin(policy: PolicySnapshot): number {
    let best: { bin: number; load: number } | undefined;
    // A bin scaled to zero (ready_replicas 0) cannot run the probe; all at zero: any.
    const up = policy.binTable.filter(
      (b) => b.proposer?.readyReplicas !== 0 && b.verifier?.readyReplicas !== 0,
    );
    for (const entry of (up.length > 0 ? up : [...policy.binTable]).sort((a, b) => a.bin - b.bin)) {
      const load = this.pool("proposer", entry.proposer).load;
      if (best === undefined || load < best.load) best = { bin: entry.bin, load };
    }
    return best?.bin ?? 1;
  }
}
