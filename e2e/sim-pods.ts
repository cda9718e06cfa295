// The e2e stand-in for vLLM pods: kwok runs pods without containers, so this harness controller
// starts a simulated replica (sim/, a real vLLM-shaped HTTP server) for every Running pod of a
// policy's pools and stops it when the pod goes. Routers cannot resolve the pools' in-cluster
// Service names from here, so it republishes the operator's snapshots from the fleet bus's bucket
// into a bucket of its own with each pool's endpoints replaced by its replicas' addresses; the
// router under test watches that bucket. Everything else is the operator's own snapshot.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { type KV, Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { binLabel, policyLabel, roleLabel } from "../controller/desired/naming.ts";
import { defaultPolicyBucket, policyKey } from "../proto/bus/naming.ts";
import { PolicySnapshotSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import { type SimServer, startServer } from "../sim/server.ts";

type Role = "proposer" | "verifier";

export interface SimPods {
  /** The replicas running now for a pool. */
  replicas(bin: number, role: Role): SimServer[];
  /** The bucket the router should watch. */
  bucket: string;
  stop(): Promise<void>;
}

export async function simPods(o: {
  kubeConfig: KubeConfig;
  namespace: string;
  policy: string;
  natsUrl: string;
  seed?: number;
}): Promise<SimPods> {
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const nc = await connect({ servers: o.natsUrl });
  const kvm = new Kvm(nc);
  const bucket = `e2e-fleet-${Math.random().toString(16).slice(2, 8)}`;
  const target = await kvm.create(bucket);
  let source: KV | undefined;
  // One loop runs sync at a time, so a replica is recorded only once it has started.
  const servers = new Map<string, { bin: number; role: Role; server: SimServer }>();
  let lastWritten = "";
  let stopped = false;
  let seed = o.seed ?? 1;

  const sync = async () => {
    source ??= await kvm.open(defaultPolicyBucket).catch(() => undefined);
    const entry = await source?.get(policyKey(o.namespace, o.policy)).catch(() => null);
    const snapshot =
      entry && entry.length > 0 ? fromBinary(PolicySnapshotSchema, entry.value) : undefined;
    const pods = await core.listNamespacedPod({
      namespace: o.namespace,
      labelSelector: `${policyLabel}=${o.policy}`,
    });
    const running = new Set<string>();
    for (const pod of pods.items) {
      const name = pod.metadata?.name ?? "";
      if (pod.status?.phase !== "Running" || pod.metadata?.deletionTimestamp) continue;
      running.add(name);
      if (servers.has(name)) continue;
      const bin = Number(pod.metadata?.labels?.[binLabel]);
      const role = pod.metadata?.labels?.[roleLabel] as Role;
      const model = snapshot?.binTable.find((b) => b.bin === bin)?.[role]?.model;
      if (!model) continue;
      servers.set(name, { bin, role, server: await startServer({ role, model, seed: seed++ }) });
    }
    for (const [name, s] of servers) {
      if (running.has(name)) continue;
      servers.delete(name);
      await s.server.kill();
    }
    if (!snapshot) return;
    for (const row of snapshot.binTable) {
      for (const role of ["proposer", "verifier"] as const) {
        const pool = row[role];
        if (!pool) continue;
        const urls: string[] = [];
        for (const s of servers.values()) {
          if (s.bin === row.bin && s.role === role) urls.push(s.server.url);
        }
        pool.endpoints = urls.sort();
        pool.readyReplicas = urls.length;
      }
    }
    const bytes = toBinary(PolicySnapshotSchema, snapshot);
    const key = Buffer.from(bytes).toString("base64");
    if (key === lastWritten) return;
    await target.put(policyKey(o.namespace, o.policy), bytes);
    lastWritten = key;
  };

  const loop = (async () => {
    while (!stopped) {
      await sync().catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
    }
  })();

  return {
    bucket,
    replicas: (bin, role) =>
      [...servers.values()].filter((s) => s.bin === bin && s.role === role).map((s) => s.server),
    async stop() {
      stopped = true;
      await loop;
      for (const s of servers.values()) await s.server.close().catch(() => {});
      await target.destroy().catch(() => {});
      await nc.drain();
    },
  };
}
