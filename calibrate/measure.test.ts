// measure.ts against a real simulated fleet over HTTP on loopback, each replica behind a proxy
// that counts (and can fail) the calls reaching it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { binForScore } from "../router/engine/difficulty.ts";
import { type Fleet as SimFleet, startFleet } from "../sim/fleet.ts";
import { metricValue } from "../sim/testing.ts";
import { CACHE_FILE, SampleCache } from "./cache.ts";
import type { Fleet } from "./fleet.ts";
import { resolveFleet } from "./fleet-source.ts";
import { defaultGrid, type GridCell } from "./grid.ts";
import {
  type MeasureOptions,
  type MeasureProgress,
  measureProblems,
  TooManyFailuresError,
} from "./measure.ts";
import { type CountingProxy, countingProxy } from "./testing/proxy.ts";
import { problems } from "./testing/serve.ts";

const cell = (budget: number, strategy: "bestOfN" | "majority" | "beam", beamWidth?: number) => {
  const label = beamWidth ? `${strategy}(M=${beamWidth})` : strategy;
  return {
    label,
    budget,
    spec: { label, strategy, ...(beamWidth ? { beamWidth } : {}) },
  } satisfies GridCell;
};

const grid: GridCell[] = [
  cell(4, "bestOfN"),
  cell(16, "bestOfN"),
  cell(16, "majority"),
  cell(16, "beam", 4),
];
const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 4 };

describe("measureProblems", () => {
  let sim: SimFleet;
  let proposer: CountingProxy;
  let verifier: CountingProxy;
  let fleet: Fleet;
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "mull-measure-"));
    dirs.push(d);
    return d;
  };
  const items = problems(12, 23);
  const calls = () => proposer.calls + verifier.calls;
  const run = (cache: SampleCache | undefined, more: Partial<MeasureOptions> = {}) =>
    measureProblems({
      problems: items,
      fleet,
      ...(cache ? { cache } : {}),
      grid,
      bins: 3,
      probeSamples: 4,
      oracleSamples: 8,
      concurrency: 4,
      retry: fast,
      ...more,
    });

  before(async () => {
    sim = await startFleet({ bins: 1 });
    const bin = sim.bins[0];
    assert.ok(bin);
    proposer = await countingProxy(bin.proposer.endpoints[0] as string);
    verifier = await countingProxy(bin.verifier.endpoints[0] as string);
    fleet = await resolveFleet({ proposer: [proposer.url], verifier: [verifier.url] });
  });
  after(async () => {
    await Promise.all([proposer.close(), verifier.close()]);
    await sim.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("measures the probe, the oracle and every cell on the serve path, probe charged", async () => {
    const progress: MeasureProgress[] = [];
    const measured = await run(undefined, { onProgress: (p) => progress.push(p) });
    assert.equal(measured.thresholds.length, 2);
    assert.equal(measured.problems.length, items.length);
    assert.deepEqual(
      measured.problems.map((p) => p.id),
      items.map((i) => i.id),
    );
    for (const p of measured.problems) {
      assert.ok(p.probeScore > 0 && p.probeScore < 1);
      assert.ok(p.oraclePass1 !== null && p.oraclePass1 >= 0 && p.oraclePass1 <= 1);
      assert.deepEqual(
        p.cells.map((c) => [c.label, c.budget]),
        grid.map((c) => [c.label, c.budget]),
      );
      for (const c of p.cells) {
        assert.equal(c.failed, undefined);
        // The probe's 4 generations are inside the budget, as at serve time.
        assert.ok(c.generations <= c.budget && c.generations >= 4, JSON.stringify(c));
        assert.ok(c.backendCalls >= 2 && c.proposerTokens > 0 && c.verifierTokens > 0);
      }
      // Best-of-4 is the probe alone: one proposer and one verifier call.
      assert.equal(p.cells[0]?.backendCalls, 2);
    }
    // The quantiles split the probe scores into 3 bins of 4.
    const bins = measured.problems.map((p) => binForScore(p.probeScore, measured.thresholds, 3));
    for (const b of [1, 2, 3]) assert.equal(bins.filter((x) => x === b).length, 4);
    // Easy problems (low latent difficulty) have the higher oracle pass@1.
    const byDifficulty = [...items].sort((a, b) => a.difficulty - b.difficulty);
    const pass = (id: string) => measured.problems.find((p) => p.id === id)?.oraclePass1 ?? 0;
    const easy = byDifficulty.slice(0, 4).reduce((s, i) => s + pass(i.id), 0);
    const hard = byDifficulty.slice(-4).reduce((s, i) => s + pass(i.id), 0);
    assert.ok(easy > hard, `${easy} vs ${hard}`);
    assert.deepEqual(measured.counts.probe, { fresh: 12, cached: 0, failed: 0, retried: 0 });
    assert.deepEqual(measured.counts.grid, { fresh: 48, cached: 0, failed: 0, retried: 0 });
    const last = (phase: string) => progress.filter((p) => p.phase === phase).at(-1);
    assert.equal(last("probe")?.done, 12);
    assert.equal(last("grid")?.done, 48);
    assert.equal(last("grid")?.total, 48);
  });

  it("measures with the published curves' protocol when hinted: the probe's bin, draws apart", async () => {
    const cache = new SampleCache(dir());
    try {
      await run(cache);
      const hinted = await run(cache, { hinted: true });
      // The probe is the serve run's, from the cache; every cell draws seeds of its own, so
      // nothing of the serve run's cells is reused.
      assert.deepEqual(hinted.counts.probe, { fresh: 0, cached: 12, failed: 0, retried: 0 });
      assert.deepEqual(hinted.counts.grid, { fresh: 48, cached: 0, failed: 0, retried: 0 });
      // Nothing is charged for the probe: a cell may stop early, below the probe's 4.
      const spent = hinted.problems.flatMap((p) => p.cells.map((c) => c.generations));
      for (const [i, g] of spent.entries()) assert.ok(g >= 1 && g <= (grid[i % 4]?.budget ?? 0));
      assert.ok(spent.some((g) => g < 4));
    } finally {
      cache.close();
    }
  });

  it("runs every strategy of the default grid", async () => {
    const all = defaultGrid([4, 16]);
    const families = new Set(all.map((c) => c.spec.strategy));
    assert.deepEqual([...families].sort(), [
      "beam",
      "bestOfN",
      "dvts",
      "lookahead",
      "majority",
      "revision",
    ]);
    const measured = await run(undefined, { grid: all, problems: items.slice(0, 3) });
    for (const p of measured.problems) {
      assert.equal(p.cells.length, all.length);
      assert.ok(p.cells.every((c) => !c.failed && c.generations <= c.budget));
    }
    assert.equal(measured.counts.grid.failed, 0);
  });

  it("resumes from the cache without asking the fleet, with the same results", async () => {
    const d = dir();
    const first = new SampleCache(d);
    const fresh = await run(first);
    first.close();
    const before = calls();
    const again = new SampleCache(d);
    const rerun = await run(again);
    again.close();
    assert.equal(calls(), before, "the rerun reached the fleet");
    assert.deepEqual(rerun.problems, fresh.problems);
    assert.deepEqual(rerun.thresholds, fresh.thresholds);
    assert.deepEqual(rerun.counts.probe, { fresh: 0, cached: 12, failed: 0, retried: 0 });
    assert.deepEqual(rerun.counts.grid, { fresh: 0, cached: 48, failed: 0, retried: 0 });
  });

  it("gives the same results with and without a cache", async () => {
    const cache = new SampleCache(dir());
    const cached = await run(cache);
    cache.close();
    const uncached = await run(undefined);
    assert.deepEqual(cached.problems, uncached.problems);
  });

  it("reuses a narrower grid's samples for a wider one", async () => {
    const wider = [...grid, cell(64, "bestOfN"), cell(64, "beam", 4)];
    const d = dir();
    const narrow = new SampleCache(d);
    const narrowStart = calls();
    await run(narrow);
    narrow.close();
    const narrowCalls = calls() - narrowStart;
    const before = calls();
    const reuse = new SampleCache(d);
    const widened = await run(reuse, { grid: wider });
    reuse.close();
    const widenedCalls = calls() - before;

    // The new cells alone, on an empty cache: what they cost without the earlier samples.
    const added = wider.slice(grid.length);
    const aloneStart = calls();
    const alone = new SampleCache(dir());
    const aloneRun = await run(alone, { grid: added });
    alone.close();
    const aloneCalls = calls() - aloneStart;
    assert.deepEqual(
      widened.problems.map((p) => p.cells.slice(grid.length)),
      aloneRun.problems.map((p) => p.cells),
    );
    // The earlier cells come wholly from the cache, and the new ones find some of their
    // samples there (best-of-64's first 16, the probe's 4).
    assert.equal(widened.counts.grid.cached, 48);
    assert.ok(widenedCalls < aloneCalls, `${widenedCalls} vs ${aloneCalls}`);
    assert.ok(reuse.stats.proposer.hits > alone.stats.proposer.hits);
    assert.ok(narrowCalls > 0);
  });

  it("retries the calls a flaky fleet fails, and measures what a healthy one does", async () => {
    const healthy = await run(new SampleCache(dir()));
    const failedBefore = proposer.failed + verifier.failed;
    proposer.failWhen((n) => n % 5 === 0);
    verifier.failWhen((n) => n % 7 === 0);
    try {
      const cache = new SampleCache(dir());
      const flaky = await run(cache);
      cache.close();
      assert.deepEqual(flaky.problems, healthy.problems);
      const failed = proposer.failed + verifier.failed - failedBefore;
      assert.ok(failed > 0);
      assert.equal(flaky.counts.probe.retried + flaky.counts.grid.retried, failed);
      assert.equal(flaky.counts.grid.failed, 0);
    } finally {
      proposer.failWhen(undefined);
      verifier.failWhen(undefined);
    }
  });

  it("stops with TooManyFailuresError when the fleet keeps failing", async () => {
    // The probe passes; every later verifier call fails, retries and all.
    let scored = 0;
    verifier.failWhen(() => ++scored > 12);
    try {
      await assert.rejects(
        run(undefined, { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
        (error: unknown) =>
          error instanceof TooManyFailuresError &&
          /failed after retries/.test(error.message) &&
          /no patch written/.test(error.message) &&
          error.counts.failed >= 1,
      );
    } finally {
      verifier.failWhen(undefined);
    }
  });

  it("marks a lost cell failed within the tolerated share, and counts it", async () => {
    // One grid cell's verifier calls fail for good: the first after the probe phase, and its
    // retry. Armed when the last probe is done rather than by counting from the start, so a
    // call an earlier test sent before it aborted, still arriving, cannot shift the count.
    const armAfterProbes = (p: MeasureProgress) => {
      if (p.phase === "probe" && p.done === p.total) {
        verifier.failWhen((call) => call === 1 || call === 2);
      }
    };
    try {
      const measured = await run(undefined, {
        concurrency: 1,
        retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
        maxFailureRate: 0.05,
        onProgress: armAfterProbes,
      });
      assert.equal(measured.counts.grid.failed, 1);
      assert.equal(measured.counts.grid.retried, 1);
      const lost = measured.problems.flatMap((p) => p.cells).filter((c) => c.failed);
      assert.equal(lost.length, 1);
      assert.equal(lost[0]?.correct, false);
      assert.match(measured.errors[0] ?? "", /HTTP 500/);
    } finally {
      verifier.failWhen(undefined);
    }
  });

  it("stops cleanly when aborted, leaving a consistent cache that the next run resumes", async () => {
    const expected = await run(undefined);
    const d = dir();
    const cache = new SampleCache(d);
    const abort = new AbortController();
    const start = calls();
    proposer.onCall(() => {
      if (calls() - start >= 40) abort.abort(new Error("interrupted"));
    });
    try {
      await assert.rejects(run(cache, { signal: abort.signal }), /interrupted/);
    } finally {
      proposer.onCall(undefined);
    }
    cache.close();
    const db = new DatabaseSync(join(d, CACHE_FILE));
    assert.deepEqual(Object.values(db.prepare("PRAGMA integrity_check").get() ?? {}), ["ok"]);
    const kept = (db.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
    db.close();
    assert.ok(kept > 0);

    const resumed = new SampleCache(d);
    const finished = await run(resumed);
    resumed.close();
    assert.deepEqual(finished.problems, expected.problems);
    assert.ok(resumed.stats.proposer.hits >= kept);
  });
});

describe("measureProblems on a pool of replicas", () => {
  it("spreads the calls over the replicas and carries on when one dies", async () => {
    const sim = await startFleet({ bins: 1, replicas: 2 });
    try {
      const bin = sim.bins[0];
      assert.ok(bin);
      const fleet = await resolveFleet({
        proposer: bin.proposer.endpoints,
        verifier: bin.verifier.endpoints,
      });
      assert.equal(fleet.proposer.endpoints.length, 2);
      const items = problems(8, 31);
      const options = {
        problems: items,
        fleet,
        grid,
        bins: 2,
        probeSamples: 4,
        oracleSamples: 4,
        concurrency: 4,
        retry: fast,
      };
      const healthy = await measureProblems(options);
      const served = await Promise.all(
        bin.proposer.endpoints.map(async (url) => {
          const text = await (await fetch(`${url}/metrics`)).text();
          return metricValue(text, "vllm:request_success_total") ?? 0;
        }),
      );
      assert.ok(
        served.every((n) => n > 0),
        `requests per replica: ${served}`,
      );

      await sim.kill(bin.proposer.endpoints[0] as string);
      const degraded = await measureProblems(options);
      assert.deepEqual(degraded.problems, healthy.problems);
      assert.equal(degraded.counts.grid.failed, 0);
    } finally {
      await sim.stop();
    }
  });
});
