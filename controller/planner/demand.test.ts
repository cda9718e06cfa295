import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  type BinDemand as BinCounts,
  type DemandReport,
  DemandReportSchema,
} from "../../proto/gen/mull/v1/fleet_pb.ts";
import {
  addReport,
  type BinDemand,
  type DemandWindowOptions,
  demandFor,
  emptyWindow,
  materiallyChanged,
  reportingRouters,
} from "./demand.ts";

type Counts = Partial<Omit<BinCounts, "$typeName">> & { bin: number };

function report(
  routerId: string,
  sequence: number,
  windowSeconds: number,
  bins: Counts[],
): DemandReport {
  return create(DemandReportSchema, {
    routerId,
    sequence,
    namespace: "ns",
    policy: "math",
    windowSeconds,
    bins,
  });
}

// Each case: reports received at given seconds, then the demand asked for at `at` seconds.
type Case = {
  name: string;
  options?: Partial<DemandWindowOptions>;
  reports: { at: number; report: DemandReport }[];
  at: number;
  want: BinDemand[];
  routers?: string[];
};

const cases: Case[] = [
  {
    name: "no reports: no demand",
    reports: [],
    at: 0,
    want: [],
    routers: [],
  },
  {
    name: "one router, one report: rate over its window; costs per finished request",
    reports: [
      {
        at: 5,
        report: report("a", 1, 5, [
          { bin: 1, requests: 10, finished: 8, proposerTokens: 800, verifierTokens: 400 },
        ]),
      },
    ],
    at: 5,
    want: [
      {
        bin: 1,
        requestsPerSecond: 2,
        proposerTokensPerRequest: 100,
        verifierTokensPerRequest: 50,
        queueWaitSeconds: 0,
      },
    ],
  },
  {
    name: "two routers: rates add up, costs pool by finished requests",
    reports: [
      {
        at: 5,
        report: report("a", 1, 5, [{ bin: 2, requests: 10, finished: 1, proposerTokens: 100 }]),
      },
      {
        at: 5,
        report: report("b", 1, 5, [{ bin: 2, requests: 20, finished: 3, proposerTokens: 700 }]),
      },
    ],
    at: 6,
    want: [
      {
        bin: 2,
        requestsPerSecond: 6,
        proposerTokensPerRequest: 200,
        verifierTokensPerRequest: 0,
        queueWaitSeconds: 0,
      },
    ],
  },
  {
    name: "one router's consecutive reports average over their total span",
    reports: [
      { at: 5, report: report("a", 1, 5, [{ bin: 1, requests: 10 }]) },
      { at: 10, report: report("a", 2, 5, [{ bin: 1, requests: 30 }]) },
    ],
    at: 10,
    want: [{ bin: 1, requestsPerSecond: 4 }],
  },
  {
    name: "a redelivered report (same router and sequence) counts once",
    reports: [
      { at: 5, report: report("a", 1, 5, [{ bin: 1, requests: 10 }]) },
      { at: 5.1, report: report("a", 1, 5, [{ bin: 1, requests: 10 }]) },
    ],
    at: 6,
    want: [{ bin: 1, requestsPerSecond: 2 }],
  },
  {
    name: "reports older than the window drop out",
    options: { windowSeconds: 10 },
    reports: [
      { at: 5, report: report("a", 1, 5, [{ bin: 1, requests: 50 }]) },
      { at: 10, report: report("a", 2, 5, [{ bin: 1, requests: 5 }]) },
      { at: 15, report: report("a", 3, 5, [{ bin: 1, requests: 5 }]) },
    ],
    at: 16,
    want: [{ bin: 1, requestsPerSecond: 1 }],
  },
  {
    name: "a router that stops reporting is forgotten after its stale intervals",
    options: { windowSeconds: 60, staleIntervals: 3 },
    reports: [
      { at: 5, report: report("gone", 1, 5, [{ bin: 1, requests: 100 }]) },
      { at: 20, report: report("live", 1, 5, [{ bin: 1, requests: 5 }]) },
    ],
    at: 21,
    want: [{ bin: 1, requestsPerSecond: 1 }],
    routers: ["live"],
  },
  {
    name: "a router just under its stale limit still counts",
    options: { windowSeconds: 60, staleIntervals: 3 },
    reports: [{ at: 5, report: report("a", 1, 5, [{ bin: 1, requests: 10 }]) }],
    at: 19,
    want: [{ bin: 1, requestsPerSecond: 2 }],
    routers: ["a"],
  },
  {
    name: "a tiny (urgent) first report is spread over the minimum span, and waiting shows",
    options: { minSpanSeconds: 5 },
    reports: [
      {
        at: 1,
        report: report("a", 1, 0.01, [{ bin: 3, requests: 1, waitingForReplica: 1 }]),
      },
    ],
    at: 1,
    want: [{ bin: 3, requestsPerSecond: 0.2, waitingForReplica: 1 }],
  },
  {
    name: "waiting is the latest report's word, not a sum over the window",
    reports: [
      { at: 1, report: report("a", 1, 5, [{ bin: 3, requests: 5, waitingForReplica: 2 }]) },
      { at: 6, report: report("a", 2, 5, [{ bin: 3, requests: 5, waitingForReplica: 0 }]) },
    ],
    at: 6,
    want: [{ bin: 3, requestsPerSecond: 1 }],
  },
  {
    name: "errors, queue wait and per-level rates",
    reports: [
      {
        at: 5,
        report: report("a", 1, 5, [
          {
            bin: 1,
            requests: 10,
            finished: 10,
            errors: 5,
            queueWaitSeconds: 2,
            requestsByLevel: [0, 5, 5],
          },
        ]),
      },
    ],
    at: 5,
    want: [
      {
        bin: 1,
        requestsPerSecond: 2,
        proposerTokensPerRequest: 0,
        verifierTokensPerRequest: 0,
        queueWaitSeconds: 0.2,
        errorsPerSecond: 1,
        requestsPerSecondByLevel: [0, 1, 1],
      },
    ],
  },
  {
    name: "bins come out in order, each from whoever reported it",
    reports: [
      { at: 5, report: report("a", 1, 5, [{ bin: 4, requests: 5 }]) },
      { at: 5, report: report("b", 1, 5, [{ bin: 1, requests: 10 }]) },
    ],
    at: 5,
    want: [
      { bin: 1, requestsPerSecond: 2 },
      { bin: 4, requestsPerSecond: 1 },
    ],
    routers: ["a", "b"],
  },
];

for (const c of cases) {
  test(`demand: ${c.name}`, () => {
    let window = emptyWindow(c.options);
    for (const r of c.reports) window = addReport(window, r.report, r.at * 1000);
    assert.deepEqual(demandFor(window, c.at * 1000), c.want);
    if (c.routers) assert.deepEqual(reportingRouters(window, c.at * 1000), c.routers);
  });
}

test("demand: addReport leaves the window it was given unchanged", () => {
  const before = emptyWindow();
  const after = addReport(before, report("a", 1, 5, [{ bin: 1, requests: 5 }]), 5000);
  assert.deepEqual(demandFor(before, 5000), []);
  assert.equal(demandFor(after, 5000).length, 1);
});

const base: BinDemand[] = [
  { bin: 1, requestsPerSecond: 10, proposerTokensPerRequest: 100, verifierTokensPerRequest: 50 },
];

const changes: { name: string; after: BinDemand[]; want: boolean }[] = [
  { name: "identical", after: base, want: false },
  { name: "rate +5%", after: [{ ...base[0], requestsPerSecond: 10.5 } as BinDemand], want: false },
  { name: "rate +20%", after: [{ ...base[0], requestsPerSecond: 12 } as BinDemand], want: true },
  {
    name: "cost +20%",
    after: [{ ...base[0], proposerTokensPerRequest: 120 } as BinDemand],
    want: true,
  },
  { name: "bin vanished", after: [], want: true },
  {
    name: "new bin",
    after: [...base, { bin: 2, requestsPerSecond: 0.01 }],
    want: true,
  },
  {
    name: "a request waits for a replica",
    after: [{ ...base[0], waitingForReplica: 1 } as BinDemand],
    want: true,
  },
];

for (const c of changes) {
  test(`materiallyChanged: ${c.name}`, () => {
    assert.equal(materiallyChanged(base, c.after), c.want);
  });
}

test("materiallyChanged: near-zero noise is not a change", () => {
  assert.equal(
    materiallyChanged([{ bin: 1, requestsPerSecond: 0.01 }], [{ bin: 1, requestsPerSecond: 0.03 }]),
    false,
  );
});
