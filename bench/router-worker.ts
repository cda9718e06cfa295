// The router under benchmark (gRPC and the OpenAI-compatible front door), on its own thread (its
// own event loop, as in production where it is its own process), so the bench client's work is
// not counted against it.
import { parentPort, workerData } from "node:worker_threads";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type PolicySnapshot, PolicySnapshotSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import { createEngine } from "../router/engine/engine.ts";
import { StaticPolicySource } from "../router/policy/policy-source.ts";
import { startRouter } from "../router/router-process.ts";

const input = workerData as { policyJson: JsonValue; maxInFlight: number };
const policy: PolicySnapshot = fromJson(PolicySnapshotSchema, input.policyJson);
const router = await startRouter({
  policies: new StaticPolicySource([policy]),
  // Best-of-4 in one round: one completions call with n=4 and one scoring call, exactly the
  // fan-out the direct client makes.
  engine: createEngine({ earlyStopping: { rule: "off", rounds: 1 } }),
  host: "127.0.0.1",
  port: 0,
  httpPort: 0,
  maxInFlight: input.maxInFlight,
  maxQueue: 10_000,
  defaultMetrics: false,
});
parentPort?.postMessage({ port: router.port, httpPort: router.httpPort });
parentPort?.once("message", () => {
  void router.shutdown(2_000).then(() => parentPort?.postMessage({ stopped: true }));
});
