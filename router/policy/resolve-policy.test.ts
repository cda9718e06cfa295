import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { EngineError } from "../engine/errors.ts";
import { StaticPolicySource } from "./policy-source.ts";
import { resolvePolicy } from "./resolve-policy.ts";

const policies = new StaticPolicySource([
  create(PolicySnapshotSchema, { name: "math", namespace: "team-a" }),
  create(PolicySnapshotSchema, { name: "local" }),
]);

test("a policy is found by its name or by <namespace>/<name>", () => {
  for (const [name, expected] of [
    ["math", "math"],
    ["team-a/math", "math"],
    ["local", "local"],
  ] as const) {
    assert.equal(resolvePolicy(policies, name).name, expected, name);
  }
});

test("a wrong namespace, an unknown name or an empty name is refused, listing the known ones", () => {
  for (const [name, code] of [
    ["team-b/math", "NOT_FOUND"],
    ["/math", "NOT_FOUND"],
    ["default/local", "NOT_FOUND"],
    ["nope", "NOT_FOUND"],
    ["team-a/", "NOT_FOUND"],
    ["", "INVALID_ARGUMENT"],
  ] as const) {
    assert.throws(
      () => resolvePolicy(policies, name),
      (e: unknown) =>
        e instanceof EngineError && e.code === code && e.message.includes('"local", "math"'),
      name,
    );
  }
});
