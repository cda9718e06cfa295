// What this router saw per policy and bin since its last report, drained into DemandReports.
// Plain counting with an injected clock; the reporter (demand-reporter.ts) does the publishing.
import { create } from "@bufbuild/protobuf";
import { qualifiedName } from "../../proto/bus/naming.ts";
import {
  type BinDemand,
  BinDemandSchema,
  type DemandReport,
  DemandReportSchema,
} from "../../proto/gen/mull/v1/fleet_pb.ts";

export type PolicyId = { namespace: string; name: string };

export type Finished = {
  proposerTokens: number;
  verifierTokens: number;
  queueWaitSeconds: number;
};

type PolicyCounts = {
  since: number;
  sequence: number;
  bins: Map<number, BinDemand>;
  // A level, not a count: requests waiting for a replica right now, kept across drains.
  waiting: Map<number, number>;
};

export class DemandCounters {
  readonly routerId: string;
  private readonly now: () => number;
  private readonly policies = new Map<string, PolicyCounts>();

  constructor(routerId: string, now: () => number = Date.now) {
    this.routerId = routerId;
    this.now = now;
  }

  arrived(p: PolicyId, bin: number, level: number, steppedDown: boolean): void {
    const b = this.bin(p, bin);
    b.requests++;
    while (b.requestsByLevel.length <= level) b.requestsByLevel.push(0);
    b.requestsByLevel[level] = (b.requestsByLevel[level] ?? 0) + 1;
    if (steppedDown) b.steppedDown++;
  }

  finished(p: PolicyId, bin: number, f: Finished): void {
    const b = this.bin(p, bin);
    b.finished++;
    b.proposerTokens += f.proposerTokens;
    b.verifierTokens += f.verifierTokens;
    b.queueWaitSeconds += f.queueWaitSeconds;
  }

  failed(p: PolicyId, bin: number): void {
    this.bin(p, bin).errors++;
  }

  /** A request starts (+1) or stops (-1) waiting for a bin with no ready replica. */
  waiting(p: PolicyId, bin: number, delta: 1 | -1): void {
    const counts = this.counts(p);
    const n = Math.max(0, (counts.waiting.get(bin) ?? 0) + delta);
    if (n === 0) counts.waiting.delete(bin);
    else counts.waiting.set(bin, n);
  }

  /**
   * The report for one policy covering the time since its previous one, and a fresh window.
   * A policy with nothing to say still gets a report: zero demand is news, and it shows the
   * router is alive.
   */
  drain(p: PolicyId, urgent = false): DemandReport {
    const counts = this.counts(p);
    const now = this.now();
    const bins = new Map(counts.bins);
    for (const [bin, n] of counts.waiting) {
      const b = bins.get(bin) ?? create(BinDemandSchema, { bin });
      b.waitingForReplica = n;
      bins.set(bin, b);
    }
    counts.sequence++;
    const report = create(DemandReportSchema, {
      routerId: this.routerId,
      namespace: p.namespace,
      policy: p.name,
      windowSeconds: Math.max(0, now - counts.since) / 1000,
      bins: [...bins.values()].sort((a, b) => a.bin - b.bin),
      sequence: counts.sequence,
      urgent,
    });
    counts.since = now;
    counts.bins = new Map();
    return report;
  }

  /** Starts the policy's window now, if it has none yet. */
  touch(p: PolicyId): void {
    this.counts(p);
  }

  /** Policies seen so far, so that one no longer served can be dropped. */
  forget(keep: ReadonlySet<string>): void {
    for (const key of this.policies.keys()) if (!keep.has(key)) this.policies.delete(key);
  }

  private counts(p: PolicyId): PolicyCounts {
    const key = qualifiedName(p.namespace, p.name);
    let counts = this.policies.get(key);
    if (counts === undefined) {
      // Covers from the first time this policy is seen: a policy that appears an hour after the
      // router started must not report an hour-long window.
      counts = { since: this.now(), sequence: 0, bins: new Map(), waiting: new Map() };
      this.policies.set(key, counts);
    }
    return counts;
  }

  private bin(p: PolicyId, bin: number): BinDemand {
    const counts = this.counts(p);
    let b = counts.bins.get(bin);
    if (b === undefined) {
      b = create(BinDemandSchema, { bin });
      counts.bins.set(bin, b);
    }
    return b;
  }
}
