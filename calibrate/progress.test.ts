import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { duration, etaText, measureProgress, progressBar } from "./progress.ts";

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, write: (s: string) => writes.push(s) > 0 }, writes };
}

describe("progressBar", () => {
  it("prints a line every tenth of the way off a terminal, with the ETA from the pace so far", () => {
    const { out, writes } = sink(false);
    let t = 0;
    const bar = progressBar("phase 2", 20, { out, now: () => t });
    for (let i = 0; i < 20; i++) {
      t += 1000;
      bar.tick();
    }
    bar.done();
    assert.equal(writes.length, 11);
    assert.match(writes[0] ?? "", /^phase 2 +0% +0\/20\n$/);
    // 2 of 20 done in 2 s: 18 s to go.
    assert.match(writes[1] ?? "", /10% {2}2\/20 {2}ETA 18s\n$/);
    assert.match(writes[10] ?? "", /100% {2}20\/20\n$/);
  });

  it("redraws one line in place on a terminal, at most every 100 ms, with its note", () => {
    const { out, writes } = sink(true);
    let t = 0;
    const bar = progressBar("probe", 4, { out, now: () => t });
    bar.update(1, "cached 50%");
    t += 150;
    bar.update(2, "cached 60%");
    bar.update(4);
    bar.done();
    assert.ok(writes.every((w) => w === "\n" || w.startsWith("\r")));
    assert.equal(writes.length, 5);
    assert.ok(writes[1]?.endsWith(" 2/4  ETA 0s  cached 60%\x1b[K"), writes[1]);
    assert.match(writes[2] ?? "", /█{30} 4\/4 {2}cached 60%/);
    assert.equal(writes.at(-1), "\n");
  });

  it("formats durations", () => {
    assert.equal(duration(5), "5s");
    assert.equal(duration(65), "1m05s");
    assert.equal(duration(3725), "1h02m");
    assert.equal(etaText(1000, 0, 10), "");
    assert.equal(etaText(1000, 10, 10), "");
  });
});

describe("measureProgress", () => {
  it("draws one bar per phase with the cache's share and the losses", () => {
    const { out, writes } = sink(false);
    const report = measureProgress({ out, now: () => 0 });
    const counts = (fresh: number, cached: number, failed = 0) => ({
      fresh,
      cached,
      failed,
      retried: 1,
    });
    report({ phase: "probe", done: 1, total: 2, counts: counts(1, 0) });
    report({ phase: "probe", done: 2, total: 2, counts: counts(1, 1) });
    report({ phase: "grid", done: 4, total: 4, counts: counts(1, 2, 1) });
    assert.match(writes.join(""), /^probe \+ oracle +0% +0\/2\n/);
    assert.match(
      writes.join(""),
      /probe \+ oracle +100% +2\/2 {2}cached 50% {2}failed 0 {2}retried 1\n/,
    );
    assert.match(
      writes.join(""),
      /grid cells +100% +4\/4 {2}cached 67% {2}failed 1 {2}retried 1\n$/,
    );
  });
});
