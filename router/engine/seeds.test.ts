import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeedAllocator } from "./seeds.ts";

describe("SeedAllocator", () => {
  it("never repeats a seed within a request", () => {
    const seeds = new SeedAllocator("req-42");
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(seeds.next());
    assert.equal(seen.size, 100_000);
  });
  it("replays the same seeds for the same request id", () => {
    const a = new SeedAllocator("req-1");
    const b = new SeedAllocator("req-1");
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  });
  it("gives different requests different seeds", () => {
    assert.notEqual(new SeedAllocator("req-1").next(), new SeedAllocator("req-2").next());
  });
  it("stays a non-negative 31-bit integer", () => {
    const seeds = new SeedAllocator("");
    for (let i = 0; i < 1000; i++) {
      const s = seeds.next();
      assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 31);
    }
  });
});
