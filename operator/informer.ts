// An informer that keeps going. client-node's ListWatch relists by itself after a 410 Gone, but
// on any other watch error (API server restarting, connection refused) it stops for good; this
// wrapper restarts it with capped exponential backoff, so the operator rides out an API server
// restart without a process restart.
//
// Every object passes through `transform` before the cache stores it (default: drop
// managedFields). ListWatch has no such hook, but both of its inputs are ours: the list function,
// whose items are transformed, and the Watch, whose events are transformed on their way in.
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";
import { CacheIndex } from "./cache-index.ts";
import { type CacheShape, stripManagedFields } from "./cache-shape.ts";
import { errorMessage, type Logger } from "./log.ts";

export interface ResilientInformer<T extends KubernetesObject> {
  readonly name: string;
  list(namespace?: string): ReadonlyArray<T>;
  get(name: string, namespace?: string): T | undefined;
  /** The objects filed under `key` by `indexBy` (none without it). */
  byIndex(key: string): T[];
  /** Resolves after the first successful list. */
  start(): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
}

export interface InformerOptions<T extends KubernetesObject> {
  name: string;
  kubeConfig: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  // The list function must apply the same selector. Objects that stop matching leave the cache
  // (the API server sends them as DELETED).
  fieldSelector?: string;
  onChange: (obj: T) => void;
  /** What the cache keeps of each object (see cache-shape.ts); default: strip managedFields. */
  transform?: CacheShape<T>;
  /** The key of a secondary index over the cache (see cache-index.ts), if any. */
  indexBy?: (obj: T) => string | undefined;
  log: Logger;
  onRestart?: () => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A Watch whose object events reach ListWatch already transformed. */
class TransformingWatch<T extends KubernetesObject> extends Watch {
  private readonly transform: CacheShape<T>;

  constructor(kubeConfig: KubeConfig, transform: CacheShape<T>) {
    super(kubeConfig);
    this.transform = transform;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj, watchObj) =>
        // ERROR carries a Status and BOOKMARK only a resourceVersion: passed through untouched.
        callback(phase, objectPhases.has(phase) ? this.transform(obj as T) : obj, watchObj),
      done,
    );
  }
}

const objectPhases = new Set(["ADDED", "MODIFIED", "DELETED"]);

export function resilientInformer<T extends KubernetesObject>(
  o: InformerOptions<T>,
): ResilientInformer<T> {
  const transform = o.transform ?? stripManagedFields;
  const list = async () => {
    const result = await o.list();
    return { ...result, items: result.items.map(transform) };
  };
  // makeInformer() without its missing fieldSelector parameter.
  const informer = new ListWatch<T>(
    o.path,
    new TransformingWatch(o.kubeConfig, transform),
    list,
    false,
    o.labelSelector,
    o.fieldSelector,
  );
  const minBackoff = o.minBackoffMs ?? 500;
  const maxBackoff = o.maxBackoffMs ?? 30_000;
  let backoff = minBackoff;
  let stopped = false;
  let synced = false;
  let timer: NodeJS.Timeout | undefined;
  let firstSync: (() => void) | undefined;
  const firstSynced = new Promise<void>((resolve) => {
    firstSync = resolve;
  });

  const markSynced = () => {
    synced = true;
    backoff = minBackoff;
    firstSync?.();
  };
  // ListWatch.start() resolves even when its list fails (it reports through 'error'), so a run
  // only counts as synced if no error was reported during it.
  let failedRun = false;
  const run = () => {
    if (stopped) return;
    failedRun = false;
    informer.start().then(
      () => {
        if (!failedRun) markSynced();
      },
      (err: unknown) => {
        // The initial list failed: the 'error' handler is not always called for it.
        scheduleRestart(err);
      },
    );
  };
  const scheduleRestart = (err: unknown) => {
    if (stopped || timer) return;
    o.log.warn("watch failed; restarting", {
      informer: o.name,
      error: errorMessage(err),
      backoffMs: backoff,
    });
    timer = setTimeout(() => {
      timer = undefined;
      o.onRestart?.();
      run();
    }, backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  };

  // The index first, so that whatever onChange triggers already finds the object in it.
  const index = o.indexBy ? new CacheIndex(o.indexBy) : undefined;
  if (index) {
    informer.on("add", (obj) => index.upsert(obj));
    informer.on("update", (obj) => index.upsert(obj));
    informer.on("delete", (obj) => index.remove(obj));
  }
  for (const verb of ["add", "update", "delete"] as const) informer.on(verb, o.onChange);
  informer.on("error", (err) => {
    failedRun = true;
    scheduleRestart(err);
  });
  informer.on("connect", () => {
    backoff = minBackoff;
  });

  return {
    name: o.name,
    list: (ns) => informer.list(ns),
    get: (name, ns) => informer.get(name, ns),
    byIndex: (key) => index?.get(key) ?? [],
    hasSynced: () => synced,
    start: () => {
      run();
      return firstSynced;
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await informer.stop();
    },
  };
}
