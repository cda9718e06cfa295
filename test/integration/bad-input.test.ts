// Bad input gets the right status and a message that says what is wrong, and never hurts the
// process: after all of it, a good request still succeeds.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { grpcStatus, POLICY, type Stack, startStack } from "./harness.ts";

let stack: Stack;
const MAX_MESSAGE = 64 * 1024;

before(async () => {
  stack = await startStack({ router: { maxReceiveMessageBytes: MAX_MESSAGE } });
});
after(() => stack.close());

const prompt = "Problem 1: How many ways can 5 people choose 2 representatives?";

test("an empty prompt is INVALID_ARGUMENT", async () => {
  const s = await grpcStatus(stack.client.solve({ policy: POLICY, prompt: "   " }));
  assert.equal(s.code, "INVALID_ARGUMENT");
  assert.match(s.details, /prompt is empty/);
});

test("a budget above the policy's maximum is INVALID_ARGUMENT naming the maximum", async () => {
  const s = await grpcStatus(
    stack.client.solve({ policy: POLICY, prompt, budget: { maxGenerations: 1_000_000 } }),
  );
  assert.equal(s.code, "INVALID_ARGUMENT");
  assert.match(s.details, /1000000.*max_generations 64/);
});

// max_generations is a uint32: a client cannot send a negative number. A client that casts -1
// puts 4294967295 on the wire, which is rejected like any budget that is too large. (grpcurl
// and protobuf JSON reject -1 for a uint32 before sending.)
test("a 'negative' budget (uint32 wrap-around) is INVALID_ARGUMENT", async () => {
  const s = await grpcStatus(
    stack.client.solve({ policy: POLICY, prompt, budget: { maxGenerations: 2 ** 32 - 1 } }),
  );
  assert.equal(s.code, "INVALID_ARGUMENT");
  assert.match(s.details, /4294967295/);
});

test("an unknown policy is NOT_FOUND and lists the known ones", async () => {
  const s = await grpcStatus(stack.client.solve({ policy: "physics", prompt }));
  assert.equal(s.code, "NOT_FOUND");
  assert.match(s.details, /unknown policy "physics" \(known policies: "math"\)/);
});

test("a strategy number outside the enum is INVALID_ARGUMENT", async () => {
  const s = await grpcStatus(
    stack.client.solve({ policy: POLICY, prompt, strategy: 99 as Strategy }),
  );
  assert.equal(s.code, "INVALID_ARGUMENT");
  assert.match(s.details, /strategy 99/);
});

test("a difficulty hint outside the policy's bins is INVALID_ARGUMENT", async () => {
  const s = await grpcStatus(stack.client.solve({ policy: POLICY, prompt, difficultyHint: 9 }));
  assert.equal(s.code, "INVALID_ARGUMENT");
  assert.match(s.details, /difficulty_hint/);
});

test("a message above the receive limit is RESOURCE_EXHAUSTED from grpc-js", async () => {
  const s = await grpcStatus(
    stack.client.solve({ policy: POLICY, prompt: "x".repeat(MAX_MESSAGE + 1) }),
  );
  assert.equal(s.code, "RESOURCE_EXHAUSTED");
  assert.match(s.details, /larger than/i);
});

test("bytes that are not a SolveRequest are INVALID_ARGUMENT, not a crash", async () => {
  const raw = new grpc.Client(stack.address, grpc.credentials.createInsecure());
  try {
    const s = await grpcStatus(
      new Promise((resolve, reject) =>
        raw.makeUnaryRequest(
          "/mull.v1.Router/Solve",
          (b: Buffer) => b,
          (b: Buffer) => b,
          // field 2 (prompt), length-delimited, claims 100 bytes but has 1
          Buffer.from([0x12, 0x64, 0x41]),
          (error, value) => (error ? reject(error) : resolve(value)),
        ),
      ),
    );
    assert.equal(s.code, "INVALID_ARGUMENT");
    assert.match(s.details, /malformed mull\.v1\.SolveRequest/);
  } finally {
    raw.close();
  }
});

test("after all that, a good request still succeeds", async () => {
  const response = await stack.client.solve(
    { policy: POLICY, prompt, strategy: Strategy.majority },
    { timeoutMs: 30_000 },
  );
  assert.notEqual(response.answer, "");
});
