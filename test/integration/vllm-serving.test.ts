// The router against vLLM's serving options, reproduced by the sim: an API key (sent from the
// pool's key file, re-read on refresh so a rotated Secret takes effect without a restart), the
// served model name, and uvicorn's keep-alive idle close racing the router's next request.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { clone } from "@bufbuild/protobuf";
import { PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { grpcStatus, POLICY, type Stack, startStack } from "./harness.ts";

const prompt = "Problem 1: How many ways can 5 people choose 2 representatives?";

// The stack's policy with every pool changed by `edit`.
function withPools(stack: Stack, edit: (pool: { model: string; apiKeyFile: string }) => void) {
  const policy = clone(PolicySnapshotSchema, stack.policy);
  for (const bin of policy.binTable) {
    if (bin.proposer) edit(bin.proposer);
    if (bin.verifier) edit(bin.verifier);
  }
  stack.policies.set([policy]);
}

const code = (stack: Stack) =>
  grpcStatus(stack.client.solve({ policy: POLICY, prompt }, { timeoutMs: 30_000 }));

test("API key: sent from the pool's key file; missing or rotated keys are clear errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mull-key-"));
  const keyFile = join(dir, "api-key");
  const lines: string[] = [];
  const stack = await startStack({
    bins: 1,
    serving: { apiKey: "k-1" },
    router: { log: (line) => lines.push(line) },
  });
  try {
    // No key configured: vLLM's 401 is not the replica's fault (no ejection) and says why.
    const none = await code(stack);
    assert.equal(none.code, "UNAVAILABLE");
    assert.match(none.details, /HTTP 401/);
    assert.equal((await stack.router.metrics.ejections.get()).values.length, 0);

    await writeFile(keyFile, "k-1\n");
    withPools(stack, (pool) => {
      pool.apiKeyFile = keyFile;
    });
    assert.equal((await code(stack)).code, "OK", "the key file's key (newline trimmed) is sent");

    // The Secret rotates on the server side first: calls fail until the file follows.
    await writeFile(keyFile, "k-2\n");
    await stack.router.backends.refresh();
    assert.equal((await code(stack)).code, "UNAVAILABLE");
    await writeFile(keyFile, "k-1");
    await stack.router.backends.refresh();
    assert.equal((await code(stack)).code, "OK", "a rotated key file is re-read on refresh");

    // A key file that cannot be read is logged once per pool, not on every refresh.
    await rm(keyFile);
    await stack.router.backends.refresh();
    await stack.router.backends.refresh();
    assert.equal(lines.filter((l) => l.includes("cannot read API key file")).length, 2);
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the served model name is what the router must send as model", async () => {
  const stack = await startStack({ bins: 1 });
  try {
    assert.equal((await code(stack)).code, "OK");
    withPools(stack, (pool) => {
      pool.model = `${pool.model}-not-served`;
    });
    const wrong = await code(stack);
    assert.equal(wrong.code, "UNAVAILABLE");
    assert.match(wrong.details, /HTTP 404.*does not exist/);
  } finally {
    await stack.close();
  }
});

test("keep-alive: the server's idle close racing the next request costs nothing", async () => {
  const idleMs = 40;
  const stack = await startStack({ bins: 1, serving: { keepAliveTimeoutMs: idleMs } });
  try {
    const codes: string[] = [];
    // Requests spaced around the server's idle timeout, so some meet a socket it is closing.
    for (let i = 0; i < 30; i++) {
      codes.push((await code(stack)).code);
      await sleep(idleMs - 5 + (i % 11));
    }
    assert.deepEqual(codes, Array(30).fill("OK"));
    const errors = (await stack.router.metrics.backendErrors.get()).values;
    assert.deepEqual(errors, [], "a stale socket is not a replica failure");
    assert.equal((await stack.router.metrics.ejections.get()).values.length, 0);
  } finally {
    await stack.close();
  }
});
