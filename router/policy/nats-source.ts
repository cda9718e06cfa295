// Policies from the NATS fleet bus: the JetStream KV bucket the operator writes one
// PolicySnapshot (protobuf binary) into per policy, key `<namespace>.<name>`. The router watches
// the bucket and swaps snapshots in as they change; a request in flight keeps the snapshot it
// started with, so a change never disturbs it.
//
// While NATS is away the router keeps serving the snapshots it has. On reconnect it watches
// afresh and drops what was deleted meanwhile. A message that does not decode, or that names
// another policy than its key, is reported and ignored: the last good snapshot stays.
import { fromBinary } from "@bufbuild/protobuf";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { defaultPolicyBucket, parsePolicyKey, qualifiedName } from "../../proto/bus/naming.ts";
import { type PolicySnapshot, PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { SwappedPolicySource } from "./policy-source.ts";

export type NatsSourceEvent =
  | { kind: "applied"; key: string; operation: "PUT" | "DEL" | "PURGE" }
  | { kind: "rejected"; key: string; error: string }
  | { kind: "synced"; policies: number }
  | { kind: "error"; error: string };

export interface NatsSourceOptions {
  bucket?: string;
  /** Serve only these policies (`ns/name`); all in the bucket when absent or empty. */
  only?: readonly string[];
  onEvent?: (event: NatsSourceEvent) => void;
  /** How long open() waits for the first full sync before returning anyway. */
  initialSyncMs?: number;
}

/**
 * The snapshots by key with the rules for applying one KV entry; no I/O, so the rules are tested
 * without a server.
 */
export class SnapshotSet {
  private readonly byKey = new Map<string, PolicySnapshot>();
  private readonly only: ReadonlySet<string> | undefined;

  constructor(only?: readonly string[]) {
    this.only = only && only.length > 0 ? new Set(only) : undefined;
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** Served policies by name (what requests name). */
  byName(): Map<string, PolicySnapshot> {
    return new Map([...this.byKey.values()].map((p) => [p.name, p]));
  }

  /** Applies one entry: `changed` when the served set moved, `error` when it was refused. */
  apply(
    key: string,
    operation: "PUT" | "DEL" | "PURGE",
    value: Uint8Array,
  ): { changed: boolean; error?: string } {
    const id = parsePolicyKey(key);
    if (!id) return { changed: false, error: `key "${key}" is not <namespace>.<name>` };
    if (this.only && !this.only.has(qualifiedName(id.namespace, id.name))) {
      return { changed: false };
    }
    if (operation !== "PUT") return { changed: this.byKey.delete(key) };
    let snapshot: PolicySnapshot;
    try {
      snapshot = fromBinary(PolicySnapshotSchema, value);
    } catch (error) {
      return { changed: false, error: `not a PolicySnapshot: ${(error as Error).message}` };
    }
    if (snapshot.namespace !== id.namespace || snapshot.name !== id.name) {
      return {
        changed: false,
        error: `snapshot names ${qualifiedName(snapshot.namespace, snapshot.name)}, not its key's policy`,
      };
    }
    if (snapshot.binTable.length === 0) {
      return { changed: false, error: "snapshot has no bins" };
    }
    for (const [other, p] of this.byKey) {
      if (other !== key && p.name === id.name) {
        return {
          changed: false,
          error: `policy name "${id.name}" is already served from namespace ${p.namespace}; pick one with --policies`,
        };
      }
    }
    this.byKey.set(key, snapshot);
    return { changed: true };
  }

  /** Drops every key not in `live` (what the bucket holds now); true when something went. */
  retain(live: ReadonlySet<string>): boolean {
    let changed = false;
    for (const key of this.byKey.keys()) {
      if (!live.has(key)) changed = this.byKey.delete(key) || changed;
    }
    return changed;
  }
}

export class NatsPolicySource extends SwappedPolicySource {
  private readonly nc: NatsConnection;
  private readonly options: NatsSourceOptions;
  private readonly set: SnapshotSet;
  private watch: { stop(): void } | undefined;
  private closed = false;
  private running: Promise<void> = Promise.resolve();
  private firstSync: () => void = () => {};
  private readonly synced: Promise<void>;
  private lastError = "";

  private constructor(nc: NatsConnection, options: NatsSourceOptions) {
    super();
    this.nc = nc;
    this.options = options;
    this.set = new SnapshotSet(options.only);
    this.synced = new Promise((resolve) => {
      this.firstSync = resolve;
    });
  }

  /** Starts watching; resolves after the first full sync (or `initialSyncMs`, default 10 s). */
  static async open(nc: NatsConnection, options: NatsSourceOptions = {}) {
    const source = new NatsPolicySource(nc, options);
    source.running = source.run();
    source.resyncOnReconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      source.synced,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.initialSyncMs ?? 10_000);
      }),
    ]);
    clearTimeout(timer);
    return source;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watch?.stop();
    this.unsubscribeAll();
    await this.running;
  }

  private get bucket(): string {
    return this.options.bucket ?? defaultPolicyBucket;
  }

  private emit(event: NatsSourceEvent): void {
    this.options.onEvent?.(event);
  }

  private publish(): void {
    this.replace(this.set.byName());
  }

  // A reconnected client may have missed changes (or the server lost its consumers): watch anew.
  private resyncOnReconnect(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (this.closed) return;
        if (s.type === "reconnect") this.watch?.stop();
      }
    })();
  }

  private async run(): Promise<void> {
    let backoffMs = 250;
    while (!this.closed && !this.nc.isClosed()) {
      try {
        await this.syncAndWatch();
        backoffMs = 250;
      } catch (error) {
        const message = (error as Error).message;
        // One line per distinct failure, not one per retry.
        if (message !== this.lastError) this.emit({ kind: "error", error: message });
        this.lastError = message;
      }
      if (this.closed) return;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  }

  // One watch: the current value of every key, then updates, until the watch is stopped.
  private async syncAndWatch(): Promise<void> {
    const kv: KV = await new Kvm(this.nc).open(this.bucket);
    const watch = await kv.watch();
    this.watch = watch;
    if (this.closed) watch.stop();
    // Keys deleted while we were away may have left no marker: keep only what the bucket holds.
    // The watch started first, so anything written after the listing arrives through it.
    const seen = new Set<string>();
    let live: Set<string> | undefined;
    let caughtUp: () => void = () => {};
    const initial = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const check = () => {
      if (live && [...live].every((k) => seen.has(k))) caughtUp();
    };
    const applying = (async () => {
      for await (const entry of watch) {
        seen.add(entry.key);
        this.applyEntry(entry);
        check();
      }
      caughtUp();
    })();
    const listed = new Set<string>();
    for await (const key of await kv.keys()) listed.add(key);
    live = listed;
    check();
    // Synced once the watch has delivered every key the bucket holds.
    await initial;
    if (this.set.retain(new Set([...listed, ...seen]))) this.publish();
    this.lastError = "";
    this.emit({ kind: "synced", policies: this.set.keys().length });
    this.firstSync();
    await applying;
  }

  private applyEntry(entry: KvEntry): void {
    const result = this.set.apply(entry.key, entry.operation, entry.value);
    if (result.error !== undefined) {
      this.emit({ kind: "rejected", key: entry.key, error: result.error });
      return;
    }
    if (!result.changed) return;
    this.emit({ kind: "applied", key: entry.key, operation: entry.operation });
    this.publish();
  }
}
