// The operator on the fleet bus, on the real control plane with a real nats-server: each
// policy's snapshot appears in the KV bucket, changes with the spec, is written by the leader
// only, is not rewritten by resyncs or by a new leader, disappears with the policy; and the
// routers' demand reports reach every replica.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type KV, Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { demandSubject, policyKey } from "../../proto/bus/naming.ts";
import { DemandReportSchema, PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { gpuPool, kubectl, namespace, nats, waitFor } from "../fixture.ts";
import { applyDoc, installCrd, policyDoc, startOperator, waitReady } from "./operator-harness.ts";

async function entry(kv: KV, key: string) {
  const e = await kv.get(key);
  return e && e.operation === "PUT" ? e : undefined;
}

test("operator --nats: snapshots written on change only, deleted with the policy; demand reports received", async (t) => {
  await installCrd();
  const ns = await namespace(t);
  const pool = await gpuPool(t, { nodes: 2, gpusPerNode: 4 });
  const { url } = await nats();
  // A bucket of this test's own: the shared server is shared with other tests.
  const bucket = `e2e-${ns}`;
  const nc = await connect({ servers: url });
  t.after(async () => {
    await new Kvm(nc)
      .open(bucket)
      .then((kv) => kv.destroy())
      .catch(() => {});
    await nc.close();
  });
  const args = [`--nats=${url}`, `--bucket=${bucket}`, "--resync-period=2"];
  const op = await startOperator(t, { namespace: ns, args });
  await waitFor(
    "the first operator to lead",
    async () => (await op.metric("mull_operator_leader")) === 1,
  );
  // A standby replica: same Lease, same bus; it must not write.
  const standby = await startOperator(t, { namespace: ns, args });
  await applyDoc(ns, policyDoc("math", pool));
  await waitReady(ns, "math");

  const key = policyKey(ns, "math");
  const kv = await waitFor("the bucket", () =>
    new Kvm(nc).open(bucket).then(async (b) => (await b.status()) && b),
  );
  const first = await waitFor("the snapshot in KV", () => entry(kv, key));
  const snap = fromBinary(PolicySnapshotSchema, first.value);
  assert.deepEqual([snap.namespace, snap.name, snap.binTable.length], [ns, "math", 3]);
  assert.deepEqual(snap.thresholds, [0.35, 0.7]);
  assert.match(snap.binTable[0]?.proposer?.endpoints[0] ?? "", /^http:\/\/math-b1-proposer\./);

  // Steady state: once every pool is ready, resyncs (every 2 s) write nothing to the bucket.
  const ready = await waitFor("every pool ready in the snapshot", async () => {
    const e = await entry(kv, key);
    const s = e && fromBinary(PolicySnapshotSchema, e.value);
    return s?.binTable.every(
      (b) => b.proposer?.readyReplicas === 1 && b.verifier?.readyReplicas === 1,
    )
      ? e
      : undefined;
  });
  const written = () => op.metric("mull_operator_bus_writes_total", { result: "written" });
  const writtenBefore = await written();
  const unchangedBefore = await op.metric("mull_operator_bus_writes_total", {
    result: "unchanged",
  });
  const reconcilesBefore = await op.metric("mull_operator_reconciles_total");
  await waitFor(
    "two resyncs",
    async () => (await op.metric("mull_operator_reconciles_total")) >= reconcilesBefore + 2,
  );
  assert.equal(await written(), writtenBefore, "a no-op resync wrote to the bucket");
  assert.ok(
    (await op.metric("mull_operator_bus_writes_total", { result: "unchanged" })) > unchangedBefore,
  );
  assert.equal((await entry(kv, key))?.revision, ready.revision);

  // A spec change is one new revision carrying it.
  await applyDoc(
    ns,
    policyDoc("math", pool, (d) => {
      d.spec.difficulty.thresholds = [0.3, 0.6];
    }),
  );
  const changed = await waitFor("the new thresholds in KV", async () => {
    const e = await entry(kv, key);
    return e && fromBinary(PolicySnapshotSchema, e.value).thresholds[0] === 0.3 ? e : undefined;
  });
  assert.ok(changed.revision > ready.revision);

  // Only the leader wrote; when it goes, the standby leads, compares with the bucket and writes
  // nothing.
  assert.equal(await standby.metric("mull_operator_leader"), 0);
  assert.equal(await standby.metric("mull_operator_bus_writes_total"), 0);
  op.child.kill("SIGTERM");
  await op.exited;
  const next = standby;
  await waitFor(
    "the standby to lead and reconcile twice",
    async () =>
      (await next.metric("mull_operator_leader")) === 1 &&
      (await next.metric("mull_operator_reconciles_total")) >= 2,
  );
  assert.equal(await next.metric("mull_operator_bus_writes_total", { result: "written" }), 0);
  assert.ok((await next.metric("mull_operator_bus_writes_total", { result: "unchanged" })) > 0);
  assert.equal((await entry(kv, key))?.revision, changed.revision);

  // Demand reports reach every operator replica's window.
  nc.publish(
    demandSubject(ns, "math"),
    toBinary(
      DemandReportSchema,
      create(DemandReportSchema, {
        routerId: "e2e-router",
        namespace: ns,
        policy: "math",
        windowSeconds: 5,
        sequence: 1,
        bins: [{ bin: 1, requests: 10 }],
      }),
    ),
  );
  nc.publish(demandSubject(ns, "math"), new Uint8Array([0xff, 0xff]));
  await waitFor(
    "the report accepted and the bad one rejected",
    async () =>
      (await next.metric("mull_operator_demand_reports_total", { result: "accepted" })) === 1 &&
      (await next.metric("mull_operator_demand_reports_total", { result: "rejected" })) === 1,
  );

  // Deleting the policy deletes its key.
  await kubectl(["-n", ns, "delete", "ttp", "math", "--wait=true"]);
  await waitFor("the key deleted", async () => (await entry(kv, key)) === undefined);
  assert.ok(next.isRunning());
});
