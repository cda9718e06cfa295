// Demand per bin, merged from every router's DemandReports over a sliding window. Pure: the
// operator's bus subscriber feeds reports in with the time it received them and asks for the
// merged demand; nothing here reads a clock.
//
// Rates are summed across routers (each router sees its own share of the traffic); costs per
// request are pooled (total tokens over total finished requests), so a router that finished few
// requests weighs little. A router whose reports stop is forgotten as a whole, not left to decay,
// so a dead router's last rate does not linger.
import type { DemandReport } from "../../proto/gen/mull/v1/fleet_pb.ts";

/** What the planner sizes pools from, per bin. */
export type BinDemand = {
  bin: number;
  requestsPerSecond: number;
  /** Measured tokens per finished request; absent until some request of the bin finished. */
  proposerTokensPerRequest?: number;
  verifierTokensPerRequest?: number;
  /** Requests waiting now for a bin with no ready replica: the planner must give it one. */
  waitingForReplica?: number;
  /** Mean wait for admission or a replica of the finished requests, in seconds. */
  queueWaitSeconds?: number;
  errorsPerSecond?: number;
  /** Arrival rate per budget level (index = level). */
  requestsPerSecondByLevel?: number[];
};

export type DemandWindowOptions = {
  /** How far back reports count, in seconds. */
  windowSeconds: number;
  /** A router is forgotten when its last report is older than this many of its own intervals. */
  staleIntervals: number;
  /**
   * The least time a router's reports are taken to cover, in seconds: a router's first report
   * (or an urgent one) may cover a few milliseconds, and one request over 5 ms is not 200 req/s.
   */
  minSpanSeconds: number;
};

export const defaultDemandWindowOptions: DemandWindowOptions = {
  windowSeconds: 30,
  staleIntervals: 3,
  minSpanSeconds: 5,
};

type Received = { report: DemandReport; receivedAtMs: number };

export type DemandWindow = {
  readonly options: DemandWindowOptions;
  /** Per router id, its reports in the window, oldest first. */
  readonly routers: ReadonlyMap<string, readonly Received[]>;
};

export function emptyWindow(options: Partial<DemandWindowOptions> = {}): DemandWindow {
  return { options: { ...defaultDemandWindowOptions, ...options }, routers: new Map() };
}

/**
 * The window with `report` added at `nowMs`, and everything expired dropped. A report whose
 * sequence this router already sent (a redelivery) changes nothing.
 */
export function addReport(window: DemandWindow, report: DemandReport, nowMs: number): DemandWindow {
  const routers = new Map(expire(window, nowMs).routers);
  const previous = routers.get(report.routerId) ?? [];
  if (previous.some((r) => r.report.sequence === report.sequence)) {
    return { options: window.options, routers };
  }
  routers.set(report.routerId, [...previous, { report, receivedAtMs: nowMs }]);
  return { options: window.options, routers };
}

/** The window without reports older than the window and without routers gone stale. */
export function expire(window: DemandWindow, nowMs: number): DemandWindow {
  const { windowSeconds, staleIntervals, minSpanSeconds } = window.options;
  const routers = new Map<string, readonly Received[]>();
  for (const [id, received] of window.routers) {
    const last = received.at(-1);
    if (!last) continue;
    const interval = Math.max(last.report.windowSeconds, minSpanSeconds);
    if (nowMs - last.receivedAtMs > interval * staleIntervals * 1000) continue;
    const kept = received.filter((r) => nowMs - r.receivedAtMs <= windowSeconds * 1000);
    if (kept.length > 0) routers.set(id, kept);
  }
  return { options: window.options, routers };
}

/** Router ids that count at `nowMs`. */
export function reportingRouters(window: DemandWindow, nowMs: number): string[] {
  return [...expire(window, nowMs).routers.keys()].sort();
}

type Totals = {
  requestsPerSecond: number;
  errorsPerSecond: number;
  byLevel: number[];
  finished: number;
  proposerTokens: number;
  verifierTokens: number;
  queueWaitSeconds: number;
  waitingForReplica: number;
};

/** Demand per bin at `nowMs`, by bin ascending; bins no router mentioned are absent. */
export function demandFor(window: DemandWindow, nowMs: number): BinDemand[] {
  const totals = new Map<number, Totals>();
  for (const received of expire(window, nowMs).routers.values()) {
    const span = Math.max(
      received.reduce((sum, r) => sum + r.report.windowSeconds, 0),
      window.options.minSpanSeconds,
    );
    const latest = received.at(-1)?.report;
    for (const { report } of received) {
      for (const b of report.bins) {
        const t = totals.get(b.bin) ?? blank();
        totals.set(b.bin, t);
        t.requestsPerSecond += b.requests / span;
        t.errorsPerSecond += b.errors / span;
        b.requestsByLevel.forEach((n, level) => {
          t.byLevel[level] = (t.byLevel[level] ?? 0) + n / span;
        });
        t.finished += b.finished;
        t.proposerTokens += b.proposerTokens;
        t.verifierTokens += b.verifierTokens;
        t.queueWaitSeconds += b.queueWaitSeconds;
        // Waiting is a level, not a count over time: only the router's latest word counts.
        if (report === latest) t.waitingForReplica += b.waitingForReplica;
      }
    }
  }
  return [...totals.entries()].sort(([a], [b]) => a - b).map(([bin, t]) => binDemand(bin, t));
}

function blank(): Totals {
  return {
    requestsPerSecond: 0,
    errorsPerSecond: 0,
    byLevel: [],
    finished: 0,
    proposerTokens: 0,
    verifierTokens: 0,
    queueWaitSeconds: 0,
    waitingForReplica: 0,
  };
}

function binDemand(bin: number, t: Totals): BinDemand {
  const demand: BinDemand = { bin, requestsPerSecond: t.requestsPerSecond };
  if (t.finished > 0) {
    demand.proposerTokensPerRequest = t.proposerTokens / t.finished;
    demand.verifierTokensPerRequest = t.verifierTokens / t.finished;
    demand.queueWaitSeconds = t.queueWaitSeconds / t.finished;
  }
  if (t.waitingForReplica > 0) demand.waitingForReplica = t.waitingForReplica;
  if (t.errorsPerSecond > 0) demand.errorsPerSecond = t.errorsPerSecond;
  if (t.byLevel.length > 0) demand.requestsPerSecondByLevel = Array.from(t.byLevel, (x) => x ?? 0);
  return demand;
}

/**
 * Whether demand moved enough to be worth a reconcile: a bin appeared or vanished, a bin now
 * waits for a replica, or a rate or cost moved by more than `relative` (and by more than
 * `absoluteRps` for rates, so near-zero noise does not count).
 */
export function materiallyChanged(
  before: readonly BinDemand[],
  after: readonly BinDemand[],
  relative = 0.1,
  absoluteRps = 0.05,
): boolean {
  const old = new Map(before.map((d) => [d.bin, d]));
  if (before.length !== after.length) return true;
  for (const d of after) {
    const o = old.get(d.bin);
    if (!o) return true;
    if ((d.waitingForReplica ?? 0) > 0 !== (o.waitingForReplica ?? 0) > 0) return true;
    const rateMoved = Math.abs(d.requestsPerSecond - o.requestsPerSecond);
    if (rateMoved > absoluteRps && rateMoved > relative * Math.max(o.requestsPerSecond, 1e-9)) {
      return true;
    }
    if (moved(o.proposerTokensPerRequest, d.proposerTokensPerRequest, relative)) return true;
    if (moved(o.verifierTokensPerRequest, d.verifierTokensPerRequest, relative)) return true;
  }
  return false;
}

function moved(a: number | undefined, b: number | undefined, relative: number): boolean {
  if (a === undefined || b === undefined) return a !== b;
  return Math.abs(a - b) > relative * Math.max(Math.abs(a), 1e-9);
}
