import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { InterruptedError, interruptOnSignals } from "./interrupt.ts";

// A signal sent to this process reaches its handlers asynchronously.
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await sleep(5);
  assert.ok(done());
}

describe("interruptOnSignals", () => {
  it("aborts on the first SIGINT and quits on the second", async () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const interrupt = interruptOnSignals(
      (l) => lines.push(l),
      (c) => exits.push(c),
    );
    try {
      process.kill(process.pid, "SIGINT");
      await until(() => interrupt.signal.aborted);
      assert.ok(interrupt.signal.reason instanceof InterruptedError);
      assert.match(lines.join("\n"), /SIGINT: stopping after the calls in flight/);
      assert.deepEqual(exits, []);
      process.kill(process.pid, "SIGINT");
      await until(() => exits.length > 0);
      assert.deepEqual(exits, [130]);
    } finally {
      interrupt.dispose();
    }
    assert.equal(process.listenerCount("SIGINT"), 0);
  });
});
