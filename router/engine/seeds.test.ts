import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeedAllocator } from "./seeds.ts";

describe("SeedAllocator", () => {
  it("never overlaps two calls' seed ranges within a request", () => {
    const seeds = new SeedAllocator("req-42");
    const seen = new Set<number>();
    let drawn = 0;
    for (let i = 0; i < 10_000; i++) {
      const n = 1 + (i % 7);
      const first = seeds.next(n);
      for (let j = 0; j < n; j++) seen.add(first + j);
      drawn += n;
    }
    assert.equal(seen.size, drawn);
  });
  it("hands out ranges contiguously, so rounds draw what one call would", () => {
    const seeds = new SeedAllocator("req-7");
    const first = seeds.next(4);
    assert.equal(seeds.next(2), first + 4);
    assert.equal(seeds.next(), first + 6);
    assert.equal(seeds.issued, 7);
  });
  it("replays the same seeds for the same request id", () => {
    const a = new SeedAllocator("req-1");
    const b = new SeedAllocator("req-1");
    for (let i = 0; i < 100; i++) assert.equal(a.next(i % 5), b.next(i % 5));
  });
  it("gives different requests different seeds", () => {
    assert.notEqual(new SeedAllocator("req-1").next(), new SeedAllocator("req-2").next());
  });
  it("stays a non-negative 31-bit integer", () => {
    for (const id of ["", "a", "req-1", "x".repeat(100)]) {
      const seeds = new SeedAllocator(id);
      for (let i = 0; i < 1000; i++) {
        const s = seeds.next(64);
        assert.ok(Number.isInteger(s) && s >= 0 && s + 63 < 2 ** 31);
      }
    }
  });
});
