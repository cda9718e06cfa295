// The sample cache against a real simulated fleet over HTTP on loopback, with a counting proxy
// in front of each replica: what reaches the fleet is counted where it arrives.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import type { Proposer } from "../router/engine/backend.ts";
import { type Fleet as SimFleet, startFleet } from "../sim/fleet.ts";
import { emptyTally, hitRate, SampleCache } from "./cache.ts";
import type { Fleet } from "./fleet.ts";
import { resolveFleet } from "./fleet-source.ts";
import { type CountingProxy, countingProxy } from "./testing/proxy.ts";
import { problems, serveAll } from "./testing/serve.ts";

interface Setup {
  sim: SimFleet;
  proposer: CountingProxy;
  verifier: CountingProxy;
  fleet: Fleet;
  calls(): number;
}

async function setup(options: Parameters<typeof startFleet>[0] = {}, policy?: string) {
  const sim = await startFleet({ bins: 1, ...options });
  const bin = sim.bins[0];
  assert.ok(bin);
  const proposer = await countingProxy(bin.proposer.endpoints[0] as string);
  const verifier = await countingProxy(bin.verifier.endpoints[0] as string);
  const fleet = await resolveFleet({
    ...(policy ? { policy } : {}),
    proposer: [proposer.url],
    verifier: [verifier.url],
  });
  return { sim, proposer, verifier, fleet, calls: () => proposer.calls + verifier.calls };
}

async function teardown(s: Setup) {
  await Promise.all([s.proposer.close(), s.verifier.close()]);
  await s.sim.stop();
}

const dirs: string[] = [];
const cacheDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "mull-cache-"));
  dirs.push(dir);
  return dir;
};

describe("the sample cache", () => {
  let s: Setup;
  const items = problems(6);
  before(async () => {
    s = await setup();
  });
  after(async () => {
    await teardown(s);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("serves a rerun without asking the backends, with the same answers and usage", async () => {
    const dir = cacheDir();
    const first = new SampleCache(dir);
    const before = s.calls();
    const fresh = await serveAll(s.fleet, first, items, 16, {
      label: "beam(M=4)",
      strategy: "beam",
      beamWidth: 4,
    });
    first.close();
    const asked = s.calls() - before;
    assert.ok(asked > 0);
    assert.equal(first.stats.proposer.calls + first.stats.verifier.calls, asked);

    const again = new SampleCache(dir);
    const tally = emptyTally();
    const rerun = await serveAll(
      s.fleet,
      again,
      items,
      16,
      { label: "beam(M=4)", strategy: "beam", beamWidth: 4 },
      { tally },
    );
    again.close();
    assert.equal(s.calls() - before, asked, "the rerun reached the fleet");
    assert.deepEqual(rerun, fresh);
    assert.equal(again.stats.proposer.misses + again.stats.verifier.misses, 0);
    assert.equal(again.stats.proposer.calls + again.stats.verifier.calls, 0);
    assert.equal(hitRate(again.stats), 1);
    assert.equal(tally.misses, 0);
    assert.ok(tally.hits > 0);
    // What the engine counts is the serve-time cost, cached or not.
    assert.ok(rerun.every((r) => r.backendCalls > 0 && r.generations === 16));
  });

  it("reuses a smaller budget's samples for a larger one", async () => {
    const narrow = new SampleCache(cacheDir());
    await serveAll(s.fleet, narrow, items, 16);
    const before = narrow.stats.proposer.misses;
    await serveAll(s.fleet, narrow, items, 64);
    const widened = narrow.stats.proposer.misses - before;
    const reused = narrow.stats.proposer.hits;
    narrow.close();

    const cold = new SampleCache(cacheDir());
    await serveAll(s.fleet, cold, items, 64);
    cold.close();
    // The first 16 samples of each problem's best-of-64 are best-of-16's (the probe's 4 too).
    assert.ok(reused >= items.length * 4, `reused ${reused}`);
    assert.ok(widened < cold.stats.proposer.misses, `${widened} vs ${cold.stats.proposer.misses}`);
    assert.equal(widened + reused, cold.stats.proposer.misses);
  });

  it("shares one backend call between identical calls in flight", async () => {
    const solo = new SampleCache(cacheDir());
    await serveAll(s.fleet, solo, items, 16);
    solo.close();
    const shared = new SampleCache(cacheDir());
    await Promise.all([serveAll(s.fleet, shared, items, 16), serveAll(s.fleet, shared, items, 16)]);
    shared.close();
    assert.equal(shared.stats.proposer.calls, solo.stats.proposer.calls);
    assert.equal(shared.stats.verifier.calls, solo.stats.verifier.calls);
  });

  it("asks the backend only for the samples of a call it does not have", async () => {
    const asked: { seed: number; n: number }[] = [];
    const fake: Proposer = {
      async generate(r) {
        asked.push({ seed: r.seed, n: r.n });
        return {
          promptTokens: 10,
          completions: Array.from({ length: r.n }, (_, i) => ({
            text: `sample ${r.seed + i}`,
            finished: true,
            completionTokens: 3,
          })),
        };
      },
    };
    const cache = new SampleCache(cacheDir());
    const proposer = cache.proposer(fake, { model: "m", format: s.fleet.formats.proposer });
    const request = {
      prompt: { problem: "p", attempts: [], steps: [] },
      maxTokens: 100,
      temperature: 0.8,
      stopAtStepEnd: false,
      signal: new AbortController().signal,
    };
    await proposer.generate({ ...request, n: 4, seed: 100 });
    const wider = await proposer.generate({ ...request, n: 8, seed: 100 });
    const inside = await proposer.generate({ ...request, n: 2, seed: 102 });
    cache.close();
    assert.deepEqual(asked, [
      { seed: 100, n: 4 },
      { seed: 104, n: 4 },
    ]);
    assert.deepEqual(
      wider.completions.map((c) => c.text),
      [100, 101, 102, 103, 104, 105, 106, 107].map((x) => `sample ${x}`),
    );
    assert.deepEqual(
      inside.completions.map((c) => c.text),
      ["sample 102", "sample 103"],
    );
    assert.equal(inside.promptTokens, 10);
    assert.deepEqual(cache.stats.proposer, { hits: 4 + 2, misses: 8, calls: 2 });
  });

  it("never serves another model's samples", async () => {
    const dir = cacheDir();
    const cache = new SampleCache(dir);
    await serveAll(s.fleet, cache, items, 8);
    cache.close();
    const other = await setup({ proposerModel: "other/model", verifierModel: "other/prm" });
    try {
      assert.equal(other.fleet.proposer.model, "other/model");
      const reopened = new SampleCache(dir);
      await serveAll(other.fleet, reopened, items, 8);
      reopened.close();
      assert.equal(reopened.stats.proposer.hits, 0);
      assert.equal(reopened.stats.verifier.hits, 0);
      assert.ok(other.calls() > 0);
    } finally {
      await teardown(other);
    }
  });

  it("never serves another prompt format's samples", async () => {
    const dir = cacheDir();
    const cache = new SampleCache(dir);
    await serveAll(s.fleet, cache, items, 8);
    cache.close();
    const file = join(cacheDir(), "policy.yaml");
    writeFileSync(
      file,
      `apiVersion: mull.dev/v1alpha1
kind: TestTimePolicy
metadata: {name: p, namespace: ns}
spec:
  proposer:
    model: ${s.fleet.proposer.model}
    prompt:
      solve: "Problem: {problem}\\nThink step by step.\\n"
  verifier: {model: ${s.fleet.verifier.model}}
  budget: {gpus: 1}
  bins: [{bin: 1, strategies: [{strategy: bestOfN, generations: 8}]}]
`,
    );
    const fleet = await resolveFleet({
      policy: file,
      proposer: [s.proposer.url],
      verifier: [s.verifier.url],
    });
    const reopened = new SampleCache(dir);
    await serveAll(fleet, reopened, items, 8);
    reopened.close();
    assert.equal(reopened.stats.proposer.hits, 0);
  });

  it("keeps every finished call when a run is cut off, and resumes from them", async () => {
    const dir = cacheDir();
    const cache = new SampleCache(dir);
    const abort = new AbortController();
    const start = s.calls();
    s.proposer.onCall(() => {
      if (s.calls() - start >= 20) abort.abort(new Error("interrupted"));
    });
    try {
      await assert.rejects(
        serveAll(s.fleet, cache, items, 16, undefined, { signal: abort.signal }),
      );
    } finally {
      s.proposer.onCall(undefined);
    }
    cache.close();
    const kept = (() => {
      const db = new DatabaseSync(join(dir, "samples.sqlite"));
      const check = db.prepare("PRAGMA integrity_check").get() as Record<string, string>;
      const rows = (db.prepare("SELECT count(*) AS n FROM samples").get() as { n: number }).n;
      db.close();
      assert.equal(Object.values(check)[0], "ok");
      return rows;
    })();
    assert.ok(kept > 0);

    const resumed = new SampleCache(dir);
    await serveAll(s.fleet, resumed, items, 16);
    resumed.close();
    assert.ok(resumed.stats.proposer.hits >= kept, `${resumed.stats.proposer.hits} < ${kept}`);
  });
});
