// A bad replica never costs a request. Each pool below has one replica that fails in one of the
// ways vLLM servers do (500, 503, invalid JSON, NaN, wrong counts, out-of-range scores, a hang, a
// slow drip, a reset mid-body) and one good replica. Every request must come back, at least 99%
// of them OK, sequentially and under concurrency; the failures are counted by reason and the
// bad replica is ejected instead of drawing the traffic. A replica that comes back takes traffic
// again within two ejection windows (on an injected clock: counts, not wall-clock times).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Estimator, PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Aggregation, Router, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { createEngine } from "../../router/engine/engine.ts";
import { createClient } from "../../router/grpc/adapter.ts";
import { StaticPolicySource } from "../../router/policy/policy-source.ts";
import { type RouterOptions, startRouter } from "../../router/router-process.ts";
import { FAILURES, type Failure, type FakeVllm, type Role, startFakeVllm } from "./fake-vllm.ts";

interface Fleet {
  proposers: FakeVllm[];
  verifiers: FakeVllm[];
}

async function startRouterOver(fleet: Fleet, options: Partial<RouterOptions> = {}) {
  const policy = create(PolicySnapshotSchema, {
    name: "math",
    namespace: "default",
    bins: 1,
    estimator: Estimator.probe,
    probeSamples: 2,
    defaultGenerations: 4,
    maxGenerations: 16,
    aggregation: Aggregation.last,
    stepSeparator: "<extra_0>",
    binTable: [
      {
        bin: 1,
        levels: [{ strategy: Strategy.bestOfN, generations: 4 }],
        proposer: { model: "p", endpoints: fleet.proposers.map((f) => f.url) },
        verifier: { model: "v", endpoints: fleet.verifiers.map((f) => f.url) },
      },
    ],
  });
  const router = await startRouter({
    policies: new StaticPolicySource([policy]),
    engine: createEngine({ earlyStopping: { rule: "off" } }),
    host: "127.0.0.1",
    port: 0,
    defaultMetrics: false,
    // A hang or a drip is cut after 3 s and retried elsewhere (generous: a loaded CI machine
    // must not make the good replica look hung).
    callTimeoutMs: 3_000,
    callTimeoutPerTokenMs: 0,
    shutdownGraceMs: 1_000,
    ...options,
  });
  const client = createClient(Router, `127.0.0.1:${router.port}`);
  return {
    router,
    client,
    close: async () => {
      client.close();
      await router.shutdown(1_000);
    },
  };
}

type Running = Awaited<ReturnType<typeof startRouterOver>>;

// Status names of `count` requests, `concurrency` at a time; every request settles (none lost).
async function solveMany(r: Running, count: number, concurrency: number): Promise<string[]> {
  const codes: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        await r.client.solve(
          { policy: "math", prompt: `Problem ${i}: what is 2 + 2?`, requestId: `r-${i}` },
          { timeoutMs: 60_000 },
        );
        codes.push("OK");
      } catch (error) {
        codes.push(grpc.status[(error as grpc.ServiceError).code] ?? "?");
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return codes;
}

async function errorsFor(r: Running, endpoint: string): Promise<Map<string, number>> {
  const values = (await r.router.metrics.backendErrors.get()).values;
  const byReason = new Map<string, number>();
  for (const v of values) {
    if (v.labels.endpoint !== endpoint) continue;
    const reason = String(v.labels.reason);
    byReason.set(reason, (byReason.get(reason) ?? 0) + v.value);
  }
  return byReason;
}

// The reason label each failure is counted under.
const REASON: Record<Failure, RegExp> = {
  http_500: /^http_500$/,
  http_503: /^http_503$/,
  invalid_json: /^invalid_json$/,
  nan: /^invalid_json$/,
  wrong_count: /^bad_response$/,
  out_of_range: /^bad_response$/,
  hang: /^timeout$/,
  slow_drip: /^timeout$/,
  reset_mid_body: /^(connection|econnreset)$/,
};

const fakes: FakeVllm[] = [];
after(() => Promise.all(fakes.map((f) => f.close())));

async function fake(role: Role, failure?: Failure): Promise<FakeVllm> {
  const f = await startFakeVllm(role, failure);
  fakes.push(f);
  return f;
}

describe("one bad and one good replica per pool", () => {
  for (const role of ["proposer", "verifier"] as const) {
    for (const failure of FAILURES) {
      test(`${role} ${failure}: ≥ 99% OK sequentially and under concurrency, counted, ejected`, async () => {
        const bad = await fake(role, failure);
        const good = await fake(role);
        const other = await fake(role === "proposer" ? "verifier" : "proposer");
        const fleet =
          role === "proposer"
            ? { proposers: [bad, good], verifiers: [other] }
            : { proposers: [other], verifiers: [bad, good] };
        const r = await startRouterOver(fleet);
        try {
          const sequential = await solveMany(r, 30, 1);
          const concurrent = await solveMany(r, 60, 8);
          for (const [name, codes, count] of [
            ["sequential", sequential, 30],
            ["concurrent", concurrent, 60],
          ] as const) {
            assert.equal(codes.length, count, `${name}: no request lost`);
            const ok = codes.filter((c) => c === "OK").length;
            assert.ok(ok >= 0.99 * count, `${name}: ${ok}/${count} OK (${codes.join(",")})`);
          }
          const errors = await errorsFor(r, bad.url);
          assert.ok(errors.size > 0, "the bad replica's failures are counted");
          for (const reason of errors.keys()) assert.match(reason, REASON[failure]);
          // Ejected rather than funnelled into: the good replica carries the pool.
          assert.ok(
            bad.hits * 5 < good.hits,
            `bad replica got ${bad.hits} calls, good replica ${good.hits}`,
          );
          const ejections = (await r.router.metrics.ejections.get()).values.filter(
            (v) => v.labels.endpoint === bad.url,
          );
          assert.ok(ejections.length > 0, "the ejection is counted");
          assert.equal((await errorsFor(r, good.url)).size, 0, "the good replica never failed");
        } finally {
          await r.close();
        }
      });
    }
  }
});

test("a restarted replica takes traffic again within two ejection windows", async () => {
  const clock = { t: 1_000_000 };
  const window = 10_000;
  const a = await fake("proposer");
  const b = await fake("proposer");
  const verifier = await fake("verifier");
  const lines: string[] = [];
  const r = await startRouterOver(
    { proposers: [a, b], verifiers: [verifier] },
    {
      now: () => clock.t,
      ejection: { ejectBaseMs: window, ejectMaxMs: 8 * window },
      log: (line) => lines.push(line),
    },
  );
  try {
    await b.kill();
    // Until a call fails on b, the picker spreads calls over both; one failure ejects b.
    assert.deepEqual(await solveMany(r, 6, 1), Array(6).fill("OK"));
    const ejected = lines.filter((l) => l.includes(b.url) && l.includes("ejected"));
    assert.equal(ejected.length, 1, lines.join("\n"));

    // One window later b gets exactly one probe (it is still down): the window doubles.
    clock.t += window;
    assert.deepEqual(await solveMany(r, 4, 1), Array(4).fill("OK"));
    assert.match(
      lines.at(-1) ?? "",
      new RegExp(`${b.url} ejected for ${2 * window} ms: its probe call failed`),
    );

    // b comes back. Within its doubled window it still gets nothing…
    await b.restart();
    clock.t += 2 * window - 1;
    assert.deepEqual(await solveMany(r, 4, 1), Array(4).fill("OK"));
    assert.equal(b.hits, 0);
    // …and once the window is over (two base windows after the restart), its probe succeeds and
    // it takes its share of the traffic.
    clock.t += 1;
    assert.deepEqual(await solveMany(r, 20, 1), Array(20).fill("OK"));
    assert.ok(b.hits >= 5, `the restarted replica took ${b.hits} of ${a.hits + b.hits} calls`);
    assert.match(lines.join("\n"), new RegExp(`${b.url} re-admitted`));
    const readmitted = (await r.router.metrics.readmissions.get()).values;
    assert.deepEqual(
      readmitted.map((v) => [v.labels.endpoint, v.value]),
      [[b.url, 1]],
    );
  } finally {
    await r.close();
  }
});
