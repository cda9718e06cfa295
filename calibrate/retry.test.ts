// Retries of backend calls against a real simulated fleet behind a proxy that fails some calls
// with vLLM's 500.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EngineError } from "../router/engine/errors.ts";
import { type Fleet as SimFleet, startFleet } from "../sim/fleet.ts";
import { SampleCache } from "./cache.ts";
import type { Fleet } from "./fleet.ts";
import { resolveFleet } from "./fleet-source.ts";
import { retryable, withRetries } from "./retry.ts";
import { type CountingProxy, countingProxy } from "./testing/proxy.ts";
import { problems, serveAll } from "./testing/serve.ts";

describe("retries", () => {
  let sim: SimFleet;
  let proposer: CountingProxy;
  let verifier: CountingProxy;
  let fleet: Fleet;
  const dirs: string[] = [];
  const cache = () => {
    const dir = mkdtempSync(join(tmpdir(), "mull-retry-"));
    dirs.push(dir);
    return new SampleCache(dir);
  };
  const items = problems(4, 11);

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
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("retries failed calls until they succeed, with the answers of a run without failures", async () => {
    const clean = cache();
    const expected = await serveAll(fleet, clean, items, 16, {
      label: "beam",
      strategy: "beam",
      beamWidth: 4,
    });
    clean.close();

    proposer.failWhen((call) => call % 3 === 0);
    verifier.failWhen((call) => call % 4 === 0);
    let retried = 0;
    const flaky = cache();
    try {
      const got = await serveAll(
        fleet,
        flaky,
        items,
        16,
        { label: "beam", strategy: "beam", beamWidth: 4 },
        { retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 4, onRetry: () => retried++ } },
      );
      assert.deepEqual(got, expected);
    } finally {
      proposer.failWhen(undefined);
      verifier.failWhen(undefined);
      flaky.close();
    }
    assert.ok(proposer.failed > 0 && verifier.failed > 0);
    assert.equal(retried, proposer.failed + verifier.failed);
  });

  it("gives up after its retries with the fleet's error", async () => {
    const failedBefore = proposer.failed;
    proposer.failWhen(() => true);
    let retried = 0;
    const c = cache();
    try {
      await assert.rejects(
        serveAll(fleet, c, items.slice(0, 1), 4, undefined, {
          retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2, onRetry: () => retried++ },
        }),
        (error: unknown) => error instanceof EngineError && error.code === "UNAVAILABLE",
      );
    } finally {
      proposer.failWhen(undefined);
      c.close();
    }
    assert.equal(retried, 2);
    assert.equal(proposer.failed - failedBefore, 3);
  });

  it("does not retry what the fleet refuses, nor a cancelled run", async () => {
    let calls = 0;
    const refused = new EngineError("INVALID_ARGUMENT", "too long");
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw refused;
        },
        new AbortController().signal,
        { retries: 5, baseDelayMs: 1, maxDelayMs: 1 },
      ),
      refused,
    );
    assert.equal(calls, 1);
    assert.equal(retryable(new EngineError("UNAVAILABLE", "down")), true);

    const abort = new AbortController();
    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          abort.abort();
          throw new EngineError("UNAVAILABLE", "down");
        },
        abort.signal,
        { retries: 5, baseDelayMs: 1, maxDelayMs: 1 },
      ),
    );
    assert.equal(calls, 1);
  });
});
