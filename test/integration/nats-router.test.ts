// A router on the fleet bus against a real nats-server: it serves what the operator's snapshot
// writer puts in the KV bucket, follows changes and deletions, keeps its last good snapshot
// through a bad message and through the server going away, resyncs when it is back, and
// publishes demand reports whose counts match the requests it served.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fromBinary } from "@bufbuild/protobuf";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { waitFor } from "../../e2e/cluster/wait.ts";
import { SnapshotWriter } from "../../operator/bus/snapshot-writer.ts";
import { createLogger } from "../../operator/log.ts";
import { createMetrics } from "../../operator/metrics.ts";
import { allDemandSubjects, policyKey } from "../../proto/bus/naming.ts";
import {
  type DemandReport,
  DemandReportSchema,
  type PolicySnapshot,
} from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Router, type SolveResponse, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";
import { connectBus } from "../../router/bus/connection.ts";
import { createEngine } from "../../router/engine/engine.ts";
import { createClient, type ServiceClient } from "../../router/grpc/adapter.ts";
import { NatsPolicySource, type NatsSourceEvent } from "../../router/policy/nats-source.ts";
import { type RunningRouter, startRouter } from "../../router/router-process.ts";
import { type Fleet, startFleet } from "../../sim/fleet.ts";
import { POLICY, policyFor } from "./harness.ts";
import { type PrivateNats, privateNats } from "./private-nats.ts";

const BUCKET = "mull-policies";
const LEVELS = [
  { strategy: Strategy.bestOfN, generations: 2 },
  { strategy: Strategy.bestOfN, generations: 4 },
];

let nats: PrivateNats;
let fleet: Fleet;

before(async () => {
  nats = await privateNats();
  fleet = await startFleet({ bins: 2, replicas: 1, seed: 11 });
});

after(async () => {
  await fleet?.stop();
  await nats?.close();
});

interface BusRouter {
  router: RunningRouter;
  client: ServiceClient<typeof Router>;
  events: NatsSourceEvent[];
  writer: SnapshotWriter;
  operatorNc: NatsConnection;
  close(): Promise<void>;
}

// The operator's writer on one connection, a router on the bus on another.
async function busRouter(reportIntervalMs = 60_000): Promise<BusRouter> {
  const operatorNc = await connectBus({ servers: [nats.url] }, "test-operator");
  const writer = new SnapshotWriter({
    nc: operatorNc,
    bucket: BUCKET,
    log: createLogger("error"),
    metrics: createMetrics(),
  });
  // The bucket exists once the operator wrote to it; the router may start before that.
  const nc = await connectBus({ servers: [nats.url] }, "test-router");
  const events: NatsSourceEvent[] = [];
  const policies = await NatsPolicySource.open(nc, {
    bucket: BUCKET,
    onEvent: (e) => events.push(e),
    initialSyncMs: 5_000,
  });
  const router = await startRouter({
    policies,
    engine: createEngine(),
    host: "127.0.0.1",
    port: 0,
    defaultMetrics: false,
    shutdownGraceMs: 2_000,
    bus: { nc, reportIntervalMs, routerId: "router-under-test" },
  });
  const client = createClient(Router, `127.0.0.1:${router.port}`);
  return {
    router,
    client,
    events,
    writer,
    operatorNc,
    close: async () => {
      client.close();
      await router.shutdown(1_000);
      await operatorNc.drain();
    },
  };
}

function snapshot(patch: (p: PolicySnapshot) => void = () => {}): PolicySnapshot {
  const p = policyFor(fleet, LEVELS);
  patch(p);
  return p;
}

const solve = (b: BusRouter, i: number, extra: object = {}) =>
  b.client.solve(
    { policy: POLICY, prompt: `Problem ${i}: What is ${i} + ${i}?`, ...extra },
    { timeoutMs: 30_000 },
  );

test("snapshots appear, change and disappear; a bad message keeps the last good one", async () => {
  const b = await busRouter();
  try {
    await assert.rejects(solve(b, 1), /unknown policy "math"/);
    assert.equal(await b.writer.put(snapshot()), "written");
    await waitFor("the router to serve math", () => b.router.traffic && solveOk(b));
    assert.equal((await solve(b, 2)).budgetLevel, 1);

    // The planner lowers bin 1's level: the router follows.
    const capped = snapshot((p) => {
      for (const row of p.binTable) row.maxLevel = 0;
    });
    assert.equal(await b.writer.put(capped), "written");
    await waitFor("level 0 in force", async () => (await solve(b, 3)).budgetLevel === 0);

    // Garbage under the policy's key: reported, and the capped snapshot stays in force.
    const kv = await new Kvm(b.operatorNc).open(BUCKET);
    await kv.put(policyKey("default", POLICY), new Uint8Array([0xff, 0x01, 0x02]));
    await waitFor("the rejection", () => b.events.some((e) => e.kind === "rejected"));
    assert.equal((await solve(b, 4)).budgetLevel, 0);

    assert.equal(await b.writer.delete("default", POLICY), "written");
    await waitFor("math gone", async () => {
      try {
        await solve(b, 5);
        return false;
      } catch (e) {
        return /unknown policy "math"/.test((e as Error).message);
      }
    });
  } finally {
    await b.close();
  }
});

async function solveOk(b: BusRouter): Promise<boolean> {
  try {
    await solve(b, 0);
    return true;
  } catch {
    return false;
  }
}

test("the operator's writer writes only what changed: a repeated put leaves the revision alone", async () => {
  const b = await busRouter();
  try {
    const kv = await new Kvm(b.operatorNc).open(BUCKET);
    const key = policyKey("default", POLICY);
    await b.writer.put(snapshot());
    const first = await kv.get(key);
    assert.equal(await b.writer.put(snapshot()), "unchanged");
    // A fresh writer (a new leader) compares with what the bucket holds, and writes nothing either.
    const fresh = new SnapshotWriter({
      nc: b.operatorNc,
      bucket: BUCKET,
      log: createLogger("error"),
      metrics: createMetrics(),
    });
    assert.equal(await fresh.put(snapshot()), "unchanged");
    assert.equal((await kv.get(key))?.revision, first?.revision);
    assert.equal((await kv.status()).values, 1);
    await b.writer.delete("default", POLICY);
  } finally {
    await b.close();
  }
});

test("nats-server restarted mid-traffic: no request lost, the router resyncs", async () => {
  const b = await busRouter();
  try {
    await b.writer.put(snapshot());
    await waitFor("the router to serve math", () => solveOk(b));
    let stop = false;
    const results: { ok: number; failed: string[] } = { ok: 0, failed: [] };
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          await solve(b, w * 1000 + i);
          results.ok++;
        } catch (e) {
          results.failed.push((e as Error).message);
        }
      }
    };
    const workers = [0, 1, 2].map(worker);
    await sleep(300);
    await nats.stop();
    const okBeforeRestart = results.ok;
    await sleep(1_500);
    const okWhileDown = results.ok - okBeforeRestart;
    await nats.start();
    // Back: a change made after the restart reaches the router.
    await waitFor("the operator connection back", () => !b.operatorNc.isClosed() && true);
    await waitFor(
      "the capped snapshot written after the restart",
      async () =>
        (await b.writer.put(
          snapshot((p) => {
            for (const row of p.binTable) row.maxLevel = 0;
          }),
        )) === "written",
      { timeoutMs: 30_000 },
    );
    await waitFor(
      "level 0 in force after the resync",
      async () => (await solve(b, 9)).budgetLevel === 0,
      {
        timeoutMs: 30_000,
      },
    );
    stop = true;
    await Promise.all(workers);
    assert.deepEqual(results.failed, []);
    assert.ok(okWhileDown > 0, "requests were served while nats-server was down");
    await b.writer.delete("default", POLICY);
  } finally {
    await b.close();
  }
});

test("demand reports count what the router served, per bin; a bin scaled to zero reports at once", async () => {
  const reports: DemandReport[] = [];
  const watcher = await connect({ servers: nats.url });
  const sub = watcher.subscribe(allDemandSubjects, {
    callback: (_err, msg) => {
      reports.push(fromBinary(DemandReportSchema, msg.data));
    },
  });
  const b = await busRouter(200);
  try {
    await b.writer.put(snapshot());
    await waitFor("the router to serve math", () => b.router.reporter && solveOk(b));
    await sleep(400);
    reports.length = 0;
    const responses: SolveResponse[] = [];
    for (let i = 0; i < 3; i++) responses.push(await solve(b, 100 + i, { difficultyHint: 1 }));
    for (let i = 0; i < 2; i++) responses.push(await solve(b, 200 + i, { difficultyHint: 2 }));
    await sleep(600);
    const mine = reports.filter((r) => r.routerId === "router-under-test");
    const sum = (bin: number, f: "requests" | "finished" | "proposerTokens" | "verifierTokens") =>
      mine
        .flatMap((r) => r.bins)
        .filter((x) => x.bin === bin)
        .reduce((s, x) => s + x[f], 0);
    const spent = (bin: number, role: "proposer" | "verifier") =>
      responses
        .filter((r) => r.bin === bin)
        .reduce(
          (s, r) =>
            s +
            Number(
              role === "proposer"
                ? (r.usage?.proposerPromptTokens ?? 0n) + (r.usage?.proposerCompletionTokens ?? 0n)
                : (r.usage?.verifierTokens ?? 0n),
            ),
          0,
        );
    assert.deepEqual(
      [sum(1, "requests"), sum(1, "finished"), sum(2, "requests"), sum(2, "finished")],
      [3, 3, 2, 2],
    );
    assert.equal(sum(1, "proposerTokens"), spent(1, "proposer"));
    assert.equal(sum(2, "verifierTokens"), spent(2, "verifier"));
    assert.ok(mine.every((r) => r.namespace === "default" && r.policy === POLICY));
    const sequences = mine.map((r) => r.sequence);
    assert.deepEqual(
      sequences,
      [...sequences].sort((x, y) => x - y),
    );

    // Bin 2 scaled to zero: a request for it waits, an urgent report says so, and it completes
    // once the operator publishes a ready replica.
    await b.writer.put(
      snapshot((p) => {
        const row = p.binTable.find((r) => r.bin === 2);
        if (row?.proposer && row.verifier) {
          row.proposer.readyReplicas = 0;
          row.verifier.readyReplicas = 0;
        }
      }),
    );
    await waitFor("the zero snapshot applied", () =>
      b.events.some((e) => e.kind === "applied" && e.operation === "PUT"),
    );
    await sleep(300);
    reports.length = 0;
    const waiting = solve(b, 300, { difficultyHint: 2 });
    const urgent = await waitFor("an urgent report", () =>
      reports.find((r) => r.urgent && r.bins.some((x) => x.bin === 2 && x.waitingForReplica === 1)),
    );
    assert.equal(urgent.routerId, "router-under-test");
    await b.writer.put(snapshot());
    assert.equal((await waiting).bin, 2);

    // No replica before the deadline: UNAVAILABLE, saying why.
    await b.writer.put(
      snapshot((p) => {
        const row = p.binTable.find((r) => r.bin === 2);
        if (row?.proposer) row.proposer.readyReplicas = 0;
      }),
    );
    await sleep(300);
    await assert.rejects(
      b.client.solve(
        { policy: POLICY, prompt: "Problem 400: 2+2?", difficultyHint: 2 },
        { timeoutMs: 1_000 },
      ),
      (e: Error & { code?: number }) =>
        e.code === 14 && /bin 2 has no ready replica \(scaled to zero\)/.test(e.message),
    );
    await b.writer.delete("default", POLICY);
  } finally {
    sub.unsubscribe();
    await watcher.close();
    await b.close();
  }
});
