import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { speedConfig } from "./batch-scheduler.ts";
import { startFleet } from "./fleet.ts";
import { postJson } from "./testing.ts";

describe("startFleet", () => {
  it("starts R proposers and R verifiers per bin on distinct ports", async () => {
    const fleet = await startFleet({ bins: 3, replicas: 2 });
    try {
      assert.deepEqual(
        fleet.bins.map((b) => b.bin),
        [1, 2, 3],
      );
      assert.equal(fleet.replicas.length, 12);
      assert.equal(new Set(fleet.replicas.map((r) => r.url)).size, 12);
      for (const bin of fleet.bins) {
        assert.equal(bin.proposer.endpoints.length, 2);
        assert.equal(bin.verifier.endpoints.length, 2);
        assert.equal(bin.proposer.model, "meta-llama/Llama-3.2-1B-Instruct");
        assert.equal(bin.verifier.model, "Qwen/Qwen2.5-Math-PRM-7B");
        for (const url of bin.verifier.endpoints) {
          assert.equal((await fetch(`${url}/health`)).status, 200);
        }
      }
    } finally {
      await fleet.stop();
    }
  });

  it("kills one replica mid-request: the client sees a reset and the others keep serving", async () => {
    // Slow enough that the request is still decoding when the replica dies.
    const fleet = await startFleet({ bins: 1, replicas: 2, speed: speedConfig(0.01) });
    try {
      const [victim, survivor] = fleet.bins[0]?.proposer.endpoints ?? [];
      assert.ok(victim && survivor);
      const inFlight = postJson(`${victim}/v1/completions`, { prompt: "x", max_tokens: 2000 });
      const server = fleet.replica(victim).server;
      while (server.scheduler.running === 0) await new Promise((r) => setTimeout(r, 2));
      await fleet.kill(victim);
      await assert.rejects(inFlight, TypeError);
      await assert.rejects(fetch(`${victim}/health`), TypeError);
      assert.equal((await fetch(`${survivor}/health`)).status, 200);
    } finally {
      await fleet.stop();
    }
  });

  it("injects errors on one replica or on all", async () => {
    const fleet = await startFleet({ bins: 1, replicas: 2 });
    try {
      const [one, two] = fleet.bins[0]?.proposer.endpoints ?? [];
      assert.ok(one && two);
      fleet.setErrorRate(1, one);
      assert.equal((await postJson(`${one}/v1/completions`, { prompt: "x" })).status, 500);
      assert.equal((await postJson(`${two}/v1/completions`, { prompt: "x" })).status, 200);
      fleet.setErrorRate(0);
      assert.equal((await postJson(`${one}/v1/completions`, { prompt: "x" })).status, 200);
    } finally {
      await fleet.stop();
    }
  });

  it("makes unseeded requests reproducible with a fleet seed", async () => {
    const run = async () => {
      const fleet = await startFleet({ bins: 1, seed: 7 });
      try {
        const url = `${fleet.bins[0]?.proposer.endpoints[0]}/v1/completions`;
        return (await postJson(url, { prompt: "Problem 1: y?", n: 2, max_tokens: 500 })).json
          .choices;
      } finally {
        await fleet.stop();
      }
    };
    assert.deepEqual(await run(), await run());
  });
});
