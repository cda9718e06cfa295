// A secondary index of an informer's cache: objects grouped by a key (here "namespace/policy"
// from the mull.dev/policy label), kept up to date from the same add/update/delete events that
// fill the cache. Reconciling one policy then reads its own objects instead of filtering every
// object of the namespace, which at 200 policies made each reconcile walk 4,200 objects.
import type { KubernetesObject } from "@kubernetes/client-node";

export class CacheIndex<T extends KubernetesObject> {
  private readonly keyOf: (obj: T) => string | undefined;
  private readonly groups = new Map<string, Map<string, T>>();
  /** Where each object (by namespace/name) is filed, so a relabel moves it. */
  private readonly filed = new Map<string, string>();

  constructor(keyOf: (obj: T) => string | undefined) {
    this.keyOf = keyOf;
  }

  upsert(obj: T): void {
    const id = objectId(obj);
    const key = this.keyOf(obj);
    const before = this.filed.get(id);
    if (before !== undefined && before !== key) this.drop(before, id);
    if (key === undefined) return;
    let group = this.groups.get(key);
    if (!group) {
      group = new Map();
      this.groups.set(key, group);
    }
    group.set(id, obj);
    this.filed.set(id, key);
  }

  remove(obj: T): void {
    const id = objectId(obj);
    const key = this.filed.get(id);
    if (key !== undefined) this.drop(key, id);
  }

  get(key: string): T[] {
    return [...(this.groups.get(key)?.values() ?? [])];
  }

  private drop(key: string, id: string): void {
    const group = this.groups.get(key);
    group?.delete(id);
    if (group?.size === 0) this.groups.delete(key);
    this.filed.delete(id);
  }
}

function objectId(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}
