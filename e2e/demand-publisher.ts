// A stand-in for the routers' demand reports in operator e2e tests: publishes real DemandReport
// messages (protobuf binary) on the policy's demand subject of the real nats-server, once a
// second, as a router serving `rate` req/s per bin would. The costs follow the level the operator
// publishes in the router ConfigMap (max_level), as a real router's would.
import { create, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { connect } from "@nats-io/transport-node";
import { parse } from "yaml";
import { nominalLevel } from "../controller/planner/planner.ts";
import type { TestTimePolicySpec } from "../controller/policy/types.gen.ts";
import { demandSubject } from "../proto/bus/naming.ts";
import { DemandReportSchema, RouterConfigSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import { kubectl } from "./fixture.ts";

export interface BinLoad {
  rate: number;
  /** Tokens per request per role at a level, given its generations. */
  proposerTokens: (generations: number) => number;
  verifierTokens: (generations: number) => number;
}

/** `rate` req/s costing each role 500 tokens at 16 generations, in proportion to generations. */
export function linearLoad(rate: number): BinLoad {
  return {
    rate,
    proposerTokens: (g) => (500 * g) / 16,
    verifierTokens: (g) => (500 * g) / 16,
  };
}

/** publishDemand's `levels` for a policy: each bin's generations and the level requests want. */
export function demandLevels(
  spec: TestTimePolicySpec,
): Record<number, { generations: number[]; defaultLevel: number }> {
  return Object.fromEntries(
    spec.bins.map((b) => [
      b.bin,
      {
        generations: b.strategies.map((s) => s.generations).sort((x, y) => x - y),
        defaultLevel: nominalLevel(b, spec.budget.defaultGenerations),
      },
    ]),
  );
}

export interface DemandPublisher {
  /** Sets a bin's load (rate 0 = idle; the bin is still reported). */
  set(bin: number, load: BinLoad | undefined): void;
  /** The level (0-based) the last report ran a bin at. */
  level(bin: number): number;
  stop(): Promise<void>;
}

export async function publishDemand(o: {
  natsUrl: string;
  namespace: string;
  policy: string;
  /** Read max_level from the router ConfigMap (default true); off, reports use the default level. */
  followCaps?: boolean;
  /** Per bin, generations per level, ascending; the default level is the one requests want. */
  levels: Record<number, { generations: number[]; defaultLevel: number }>;
}): Promise<DemandPublisher> {
  const nc = await connect({ servers: o.natsUrl });
  const routerId = `e2e-${Math.random().toString(16).slice(2, 8)}`;
  const loads = new Map<number, BinLoad>();
  const carry = new Map<number, number>();
  const caps = new Map<number, number | undefined>();
  const used = new Map<number, number>();
  let sequence = 0;
  let stopped = false;

  const readCaps = async () => {
    const r = await kubectl(
      [
        "-n",
        o.namespace,
        "get",
        "cm",
        `${o.policy}-router`,
        "-o",
        "jsonpath={.data.router\\.yaml}",
      ],
      { check: false },
    );
    if (r.code !== 0 || !r.stdout) return;
    const config = fromJson(RouterConfigSchema, parse(r.stdout) as JsonValue);
    for (const b of config.policies[0]?.binTable ?? []) caps.set(b.bin, b.maxLevel);
  };

  let lastMs = Date.now();
  const publish = () => {
    const nowMs = Date.now();
    const windowSeconds = Math.max((nowMs - lastMs) / 1000, 0.001);
    lastMs = nowMs;
    const bins = Object.entries(o.levels).map(([k, table]) => {
      const bin = Number(k);
      const load = loads.get(bin);
      const level = Math.min(table.defaultLevel, caps.get(bin) ?? table.defaultLevel);
      used.set(bin, level);
      const exact = (load?.rate ?? 0) * windowSeconds + (carry.get(bin) ?? 0);
      const requests = Math.floor(exact);
      carry.set(bin, exact - requests);
      const generations = table.generations[level] ?? 1;
      const byLevel = table.generations.map((_, i) => (i === level ? requests : 0));
      return {
        bin,
        requests,
        finished: requests,
        proposerTokens: Math.round(requests * (load?.proposerTokens(generations) ?? 0)),
        verifierTokens: Math.round(requests * (load?.verifierTokens(generations) ?? 0)),
        requestsByLevel: byLevel,
      };
    });
    sequence++;
    const report = create(DemandReportSchema, {
      routerId,
      namespace: o.namespace,
      policy: o.policy,
      windowSeconds,
      sequence,
      bins,
    });
    nc.publish(demandSubject(o.namespace, o.policy), toBinary(DemandReportSchema, report));
  };

  const loop = (async () => {
    let tick = 0;
    while (!stopped) {
      if (tick % 2 === 0 && o.followCaps !== false) await readCaps().catch(() => {});
      publish();
      tick++;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();

  return {
    set(bin, load) {
      // The interval so far ran at the old load: report it before switching.
      publish();
      if (load) loads.set(bin, load);
      else loads.delete(bin);
    },
    level: (bin) => used.get(bin) ?? o.levels[bin]?.defaultLevel ?? 0,
    async stop() {
      stopped = true;
      await loop;
      await nc.drain();
    },
  };
}
