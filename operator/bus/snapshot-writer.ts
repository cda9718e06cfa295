// Writes each policy's PolicySnapshot (protobuf binary) to the JetStream KV bucket the routers
// watch, key `<namespace>.<name>`. Only what changed is written: the bytes last written (or, the
// first time this process touches a key, the bucket's current value) are compared first, so a
// resync or a new leader writes nothing when nothing changed. Only the leader calls it (the
// reconciler runs only there).
//
// NATS being away never fails a reconcile: the write is skipped and the key remembered, and once
// the connection is back `onReconnect` asks for those policies again.
import { toBinary } from "@bufbuild/protobuf";
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { parsePolicyKey, policyKey } from "../../proto/bus/naming.ts";
import { type PolicySnapshot, PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { OperatorMetrics } from "../metrics.ts";

export type WriteResult = "written" | "unchanged" | "deferred";

export interface SnapshotWriterOptions {
  nc: NatsConnection;
  bucket: string;
  log: Logger;
  metrics: OperatorMetrics;
  /** Policies (`ns/name`) whose write was deferred while NATS was away, once it is back. */
  onReconnect?: (policies: string[]) => void;
}

export class SnapshotWriter {
  private readonly o: SnapshotWriterOptions;
  private kvPromise: Promise<KV> | undefined;
  /** The bytes in the bucket per key, as far as this process knows; absent = unknown. */
  private readonly known = new Map<string, Uint8Array | null>();
  private readonly deferred = new Set<string>();
  private connected = true;

  constructor(options: SnapshotWriterOptions) {
    this.o = options;
    void (async () => {
      for await (const s of options.nc.status()) {
        if (s.type === "disconnect") this.connected = false;
        if (s.type !== "reconnect") continue;
        this.connected = true;
        // The server may have lost or rolled back the bucket: trust nothing remembered.
        this.known.clear();
        this.kvPromise = undefined;
        const keys = [...this.deferred];
        this.deferred.clear();
        if (keys.length > 0) options.onReconnect?.(keys);
      }
    })();
  }

  async put(snapshot: PolicySnapshot): Promise<WriteResult> {
    const key = policyKey(snapshot.namespace, snapshot.name);
    const bytes = toBinary(PolicySnapshotSchema, snapshot);
    return this.write(key, "put", async (kv) => {
      if (sameBytes(await this.current(kv, key), bytes)) return "unchanged";
      await kv.put(key, bytes);
      this.known.set(key, bytes);
      return "written";
    });
  }

  async delete(namespace: string, name: string): Promise<WriteResult> {
    const key = policyKey(namespace, name);
    return this.write(key, "delete", async (kv) => {
      if ((await this.current(kv, key)) === null) return "unchanged";
      await kv.delete(key);
      this.known.set(key, null);
      return "written";
    });
  }

  /**
   * Deletes the keys of policies that no longer exist (deleted while no operator ran). `live` is
   * every policy's key; `namespace` limits the sweep to the namespace this operator watches.
   */
  async prune(live: ReadonlySet<string>, namespace?: string): Promise<number> {
    let kv: KV;
    try {
      kv = await this.kv();
    } catch (err) {
      this.o.log.warn("fleet bus: cannot list snapshots to prune", { error: errorMessage(err) });
      return 0;
    }
    let pruned = 0;
    for await (const key of await kv.keys()) {
      const id = parsePolicyKey(key);
      if (live.has(key) || (namespace !== undefined && id?.namespace !== namespace)) continue;
      if (id && (await this.delete(id.namespace, id.name)) === "written") pruned++;
    }
    return pruned;
  }

  private async write(
    key: string,
    op: "put" | "delete",
    run: (kv: KV) => Promise<"written" | "unchanged">,
  ): Promise<WriteResult> {
    const id = parsePolicyKey(key);
    const policy = id ? `${id.namespace}/${id.name}` : key;
    if (this.o.nc.isClosed() || !this.connected) {
      this.defer(policy, op, "not connected");
      return "deferred";
    }
    try {
      const result = await run(await this.kv());
      this.o.metrics.busWrites.inc({ op, result });
      if (result === "written")
        this.o.log.info("snapshot written to the fleet bus", { policy, op });
      return result;
    } catch (err) {
      this.known.delete(key);
      this.kvPromise = undefined;
      this.defer(policy, op, errorMessage(err));
      return "deferred";
    }
  }

  private defer(policy: string, op: string, why: string): void {
    this.deferred.add(policy);
    this.o.metrics.busWrites.inc({ op, result: "deferred" });
    this.o.log.warn("fleet bus: snapshot write deferred", { policy, op, error: why });
  }

  private async current(kv: KV, key: string): Promise<Uint8Array | null> {
    const known = this.known.get(key);
    if (known !== undefined) return known;
    const entry = await kv.get(key);
    const value = entry && entry.operation === "PUT" ? entry.value : null;
    this.known.set(key, value);
    return value;
  }

  private kv(): Promise<KV> {
    this.kvPromise ??= new Kvm(this.o.nc).create(this.o.bucket, { history: 1 });
    const p = this.kvPromise;
    p.catch(() => {
      if (this.kvPromise === p) this.kvPromise = undefined;
    });
    return p;
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
