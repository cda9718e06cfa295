import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PoolSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { makePolicy } from "../engine/testing/fixtures.ts";
import { policyFormats } from "../formats/index.ts";
import { FleetBackends } from "./fleet-backends.ts";

test("the probe (bin 0) skips bins scaled to zero, and uses any bin when all are", () => {
  const backends = new FleetBackends({
    call: { callTimeoutMs: 1_000, maxAttempts: 1 },
    dnsRefreshMs: 0,
  });
  const ready = (bins: Record<number, number>) => {
    const p = makePolicy();
    for (const row of p.binTable) {
      const pool = (model: string) =>
        create(PoolSchema, {
          model,
          endpoints: [`http://b${row.bin}-${model}:8000`],
          readyReplicas: bins[row.bin] ?? 1,
        });
      row.proposer = pool("p");
      row.verifier = pool("v");
    }
    return p;
  };
  const some = ready({ 1: 0, 2: 0, 3: 1 });
  const forSome = backends.forRequest(some, policyFormats(some));
  assert.equal(forSome(0), forSome(3));
  const none = ready({ 1: 0, 2: 0, 3: 0 });
  const forNone = backends.forRequest(none, policyFormats(none));
  assert.equal(forNone(0), forNone(1));
  backends.close();
});
