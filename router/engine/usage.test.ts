import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ledger, toProtoUsage } from "./usage.ts";

describe("Ledger", () => {
  it("refuses generations beyond the limit", () => {
    const l = new Ledger({ generations: 5, completionTokens: Infinity });
    assert.equal(l.takeGenerations(4), true);
    assert.equal(l.takeGenerations(2), false);
    assert.equal(l.usage.generations, 4);
    assert.equal(l.takeGenerations(1), true);
  });
  it("cuts max_tokens so concurrent reservations fit the token budget", () => {
    const l = new Ledger({ generations: 100, completionTokens: 100 });
    const a = l.reserveTokens(2, 40);
    assert.deepEqual(a, { perSample: 40, reserved: 80, cut: false });
    const b = l.reserveTokens(2, 40);
    assert.deepEqual(b, { perSample: 10, reserved: 20, cut: true });
    assert.equal(l.reserveTokens(1, 40), undefined);
    l.settleProposer(a as NonNullable<typeof a>, 7, 30, 20);
    assert.equal(l.remainingTokens, 50);
    assert.equal(l.clipped, false, "no sample hit a cut max_tokens yet");
    l.settleProposer(b as NonNullable<typeof b>, 7, 20, 10);
    assert.equal(l.clipped, true, "a sample filled the cut max_tokens");
    assert.equal(l.usage.proposerCompletionTokens, 50);
    assert.equal(l.usage.backendCalls, 2);
  });
  it("converts to the proto Usage", () => {
    const l = new Ledger({ generations: 1, completionTokens: Infinity });
    l.settleVerifier(12);
    const u = toProtoUsage(l.usage);
    assert.equal(u.verifierTokens, 12n);
    assert.equal(u.backendCalls, 1);
  });
});
