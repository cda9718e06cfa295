// calibrate's router-config.yaml loads in the router with the router's own loader, and the
// engine's table lookup then runs the calibrated choice at each budget, on the fleet's pools.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { parse } from "yaml";
import { defaultGrid } from "../calibrate/grid.ts";
import type { ProblemResult } from "../calibrate/measurement.ts";
import {
  calibratedRouterConfig,
  calibratedSnapshot,
  routerConfigYaml,
  snapshotYaml,
} from "../calibrate/router-config-out.ts";
import { select } from "../calibrate/select.ts";
import { policySnapshot } from "../controller/desired/router-config.ts";
import { examplePolicy } from "../controller/testing/sample.ts";
import { PolicySnapshotSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import { DEFAULT_OPTIONS } from "../router/engine/options.ts";
import { chooseConfig } from "../router/engine/table.ts";
import { parseRouterConfig } from "../router/policy/router-config.ts";

const budgets = [4, 16, 64, 256];
// Bin 1 (high probe scores): one revision chain wins; bin 2: DVTS wins.
const winners = ["revision(seq=1)", "dvts(M=4)"];

function selection() {
  const grid = defaultGrid(budgets);
  const results = Array.from({ length: 30 }, (_, i): ProblemResult => {
    const bin = i < 15 ? 0 : 1;
    return {
      id: `p${i}`,
      probeScore: bin === 0 ? 0.8 + i * 0.001 : 0.4 + i * 0.001,
      oraclePass1: null,
      cells: grid.map((c) => ({
        label: c.label,
        budget: c.budget,
        correct: c.label === winners[bin],
        generations: c.budget,
        proposerTokens: 1,
        verifierTokens: 1,
        backendCalls: 1,
      })),
    };
  });
  return select(results, grid, { bins: 2 });
}

const base = () =>
  policySnapshot(
    examplePolicy((s) => {
      s.proposer.prompt = { format: "completion", solve: "Q: {problem}\nA:" };
    }),
  );
const pools = {
  proposer: { model: "qwen", endpoints: ["http://10.0.0.1:8000", "http://10.0.0.2:8000"] },
  verifier: { model: "prm", endpoints: ["http://10.0.0.3:8000"], apiKeyFile: "/keys/prm" },
};

test("router-config.yaml loads with the router's loader and serves the calibrated table", () => {
  const s = selection();
  const snapshot = calibratedSnapshot(base(), s, { probeSamples: 4 });
  const yaml = routerConfigYaml(calibratedRouterConfig(snapshot, pools), "mull calibrate\nline 2");
  assert.match(yaml, /^# mull calibrate\n# line 2\n/);
  const [policy, ...rest] = parseRouterConfig(yaml, "router-config.yaml");
  assert.equal(rest.length, 0);
  assert.ok(policy);
  assert.equal(policy.name, "math");
  assert.equal(policy.bins, 2);
  assert.equal(policy.probeSamples, 4);
  assert.deepEqual(policy.thresholds, s.thresholds);
  // The base policy's settings stay: its prompt format, its default budget; the top budget is
  // above its maxGenerations (64), so that is raised.
  assert.equal(policy.prompt?.solve, "Q: {problem}\nA:");
  assert.equal(policy.defaultGenerations, 16);
  assert.equal(policy.maxGenerations, 256);
  for (const bin of policy.binTable) {
    assert.deepEqual(bin.proposer?.endpoints, pools.proposer.endpoints);
    assert.equal(bin.proposer?.model, "qwen");
    assert.equal(bin.verifier?.apiKeyFile, "/keys/prm");
  }
  const at = (bin: number, budget: number) => {
    const { config } = chooseConfig(policy, bin, budget, undefined, DEFAULT_OPTIONS);
    const shape = config.strategy === "revision" ? config.sequentialRatio : config.beamWidth;
    return [config.strategy, config.generations, shape];
  };
  assert.deepEqual(at(1, 64), ["revision", 64, 1]);
  assert.deepEqual(at(2, 256), ["dvts", 256, 4]);
  // Between levels the router runs the highest that fits.
  assert.deepEqual(at(2, 100), ["dvts", 64, 4]);
});

test("the bare snapshot is demo/policy.yaml's shape: the table without pools", () => {
  const snapshot = calibratedSnapshot(base(), selection(), {
    probeSamples: 4,
    name: "tuned",
    namespace: "demo",
  });
  const yaml = snapshotYaml(snapshot, "calibrated on 30 problems");
  assert.match(yaml, /^# calibrated on 30 problems\n/);
  const loaded = fromJson(PolicySnapshotSchema, parse(yaml) as JsonValue);
  assert.equal(loaded.name, "tuned");
  assert.equal(loaded.namespace, "demo");
  assert.deepEqual(
    loaded.binTable.map((b) => [b.bin, b.levels.length, b.proposer, b.verifier]),
    [
      [1, 4, undefined, undefined],
      [2, 4, undefined, undefined],
    ],
  );
  assert.deepEqual(loaded.binTable, snapshot.binTable);
});
