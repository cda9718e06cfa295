import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { ConfigError, parseRouterConfig } from "./router-config.ts";

const example = readFileSync(new URL("../router.example.yaml", import.meta.url), "utf8");

test("the example config parses into policy snapshots", () => {
  const [math] = parseRouterConfig(example);
  assert.equal(math?.name, "math");
  assert.equal(math?.binTable.length, 2);
  assert.equal(math?.binTable[1]?.levels[1]?.strategy, Strategy.beam);
  assert.deepEqual(math?.binTable[1]?.proposer?.endpoints, [
    "http://127.0.0.1:8002",
    "http://127.0.0.1:8003",
  ]);
});

function problems(text: string): string {
  try {
    parseRouterConfig(text, "router.yaml");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

test("a bad field names the policy and the field", () => {
  const message = problems(example.replace("bins: 2", "bins: two"));
  assert.match(message, /^router\.yaml: policy "math": .*bins/);
});

test("an unknown strategy names the value", () => {
  assert.match(problems(example.replace("strategy: beam,", "strategy: bream,")), /bream/);
});

test("semantic problems are all listed, with the bin", () => {
  const message = problems(
    example.replace("thresholds: [0.5]", "thresholds: []").replace("beamWidth: 4", "beamWidth: 3"),
  );
  assert.match(message, /thresholds: want bins-1 = 1 cut points, got 0/);
  assert.match(message, /bin 2 levels\[1\]: beamWidth 3 does not divide generations 16/);
});

test("missing endpoints and non-URLs are caught", () => {
  const message = problems(
    example
      .replace('endpoints: ["http://127.0.0.1:8001"]', "endpoints: []")
      .replace('"http://127.0.0.1:8102"', '"127.0.0.1:8102"'),
  );
  assert.match(message, /bin 1: proposer\.endpoints is empty/);
  assert.match(message, /bin 2: verifier\.endpoints: "127\.0\.0\.1:8102" is not an http\(s\) URL/);
});

test("not YAML, and not a RouterConfig, say so", () => {
  assert.match(problems("policies: [unclosed"), /not valid YAML/);
  assert.match(problems("- a\n- b\n"), /expected a mapping with a `policies` list/);
  assert.match(problems("policy: []\n"), /unknown top-level field "policy"/);
});
