import assert from "node:assert/strict";
import { test } from "node:test";
import { covers, quantity } from "./covers.ts";

test("extra server-side fields and defaults do not count as drift", () => {
  const want = { spec: { ports: [{ port: 8000 }], selector: { app: "x" } } };
  const have = {
    spec: { ports: [{ port: 8000, protocol: "TCP" }], selector: { app: "x" }, type: "ClusterIP" },
  };
  assert.equal(covers(have, want), true);
});

test("quantities normalised to strings still match", () => {
  assert.equal(
    covers({ limits: { "nvidia.com/gpu": "1" } }, { limits: { "nvidia.com/gpu": 1 } }),
    true,
  );
});

test("quantities in another canonical form still match", () => {
  assert.equal(covers({ cpu: "500m", memory: "1Gi" }, { cpu: "0.5", memory: "1024Mi" }), true);
  assert.equal(covers({ cpu: "500m" }, { cpu: "1" }), false);
  assert.equal(quantity("16Gi"), 16 * 2 ** 30);
  assert.equal(quantity("1e3"), 1000);
  assert.equal(quantity("--enforce-eager"), undefined);
  assert.equal(quantity("1x"), undefined);
});

test("a changed, missing or reordered field is drift", () => {
  assert.equal(covers({ a: { b: 2 } }, { a: { b: 1 } }), false);
  assert.equal(covers({ a: {} }, { a: { b: 1 } }), false);
  assert.equal(covers({ args: ["--x", "--y"] }, { args: ["--y", "--x"] }), false);
  assert.equal(covers({ args: ["--x"] }, { args: ["--x", "--y"] }), false);
  assert.equal(covers({ a: [1] }, { a: { 0: 1 } }), false);
});
