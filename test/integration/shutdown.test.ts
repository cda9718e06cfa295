// Draining: on shutdown (SIGTERM in the CLI) the router stops taking new requests, reports
// NOT_SERVING, lets the requests in flight finish, then exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { Router } from "../../proto/gen/mull/v1/router_pb.ts";
import { createClient, type ServiceClient } from "../../router/grpc/adapter.ts";
import { speedConfig } from "../../sim/batch-scheduler.ts";
import { startFleet } from "../../sim/fleet.ts";
import { POLICY, policyFor, routerConfigYaml, startStack, stderrPort } from "./harness.ts";

const prompt = "Problem 7: what is 17 * 3?";

test("shutdown lets in-flight requests finish and refuses new ones", async () => {
  const stack = await startStack({ bins: 1, speed: speedConfig(5) });
  try {
    const inFlight = [1, 2].map(() =>
      stack.client.solve({ policy: POLICY, prompt, difficultyHint: 1 }, { timeoutMs: 30_000 }),
    );
    for (let i = 0; i < 1_000 && stack.router.admission.inFlight < 2; i++) await sleep(5);
    assert.equal(stack.router.admission.inFlight, 2, "both requests are being solved");
    const drained = stack.router.shutdown(20_000);
    const results = await Promise.all(inFlight);
    for (const r of results) assert.notEqual(r.answer, "");
    await drained;
    await assert.rejects(
      stack.client.solve({ policy: POLICY, prompt }, { timeoutMs: 2_000 }),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    );
  } finally {
    await stack.close();
  }
});

test("mull router exits 0 on SIGTERM after finishing the request in flight", async () => {
  const fleet = await startFleet({ bins: 1, speed: speedConfig(5), seed: 3 });
  const dir = await mkdtemp(join(tmpdir(), "mull-router-"));
  const config = join(dir, "router.yaml");
  const policy = policyFor(fleet, [{ strategy: 1, generations: 4 }]);
  await writeFile(config, routerConfigYaml([policy]));
  const child = spawn(
    process.execPath,
    [
      "bin/mull.ts",
      "router",
      "--config",
      config,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--metrics-port=-1",
    ],
    { cwd: new URL("../..", import.meta.url), stdio: ["ignore", "ignore", "pipe"] },
  );
  const stderr = stderrPort(child, /gRPC on :(\d+)/);
  let client: ServiceClient<typeof Router> | undefined;
  try {
    const port = await stderr.port;
    client = createClient(Router, `127.0.0.1:${port}`);
    const pending = client.solve(
      { policy: POLICY, prompt, difficultyHint: 1 },
      { timeoutMs: 30_000 },
    );
    // Wait until the router is really working on it before asking it to stop.
    const busy = () => fleet.replicas.some((r) => r.server.scheduler.running > 0);
    for (let i = 0; i < 1_000 && !busy(); i++) await sleep(5);
    assert.ok(busy(), "the router is working on the request");
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const response = await pending;
    assert.notEqual(response.answer, "");
    const [code] = await exited;
    assert.equal(code, 0, stderr.log());
    assert.match(stderr.log(), /SIGTERM: draining/);
  } finally {
    client?.close();
    if (child.exitCode === null) child.kill("SIGKILL");
    await fleet.stop();
    await rm(dir, { recursive: true });
  }
});
