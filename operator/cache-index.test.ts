import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { CacheIndex } from "./cache-index.ts";

const obj = (name: string, policy?: string, ns = "ns1"): KubernetesObject => ({
  metadata: { name, namespace: ns, ...(policy ? { labels: { "mull.dev/policy": policy } } : {}) },
});
const byPolicy = (o: KubernetesObject) => {
  const p = o.metadata?.labels?.["mull.dev/policy"];
  return p ? `${o.metadata?.namespace}/${p}` : undefined;
};
const names = (xs: KubernetesObject[]) => xs.map((x) => x.metadata?.name).sort();

test("objects are found under their key; an update replaces, a delete removes", () => {
  const ix = new CacheIndex(byPolicy);
  ix.upsert(obj("a-b1", "a"));
  ix.upsert(obj("a-b2", "a"));
  ix.upsert(obj("b-b1", "b"));
  ix.upsert(obj("a-b1", "a", "ns2"));
  ix.upsert(obj("loose"));
  assert.deepEqual(names(ix.get("ns1/a")), ["a-b1", "a-b2"]);
  assert.deepEqual(names(ix.get("ns1/b")), ["b-b1"]);
  assert.deepEqual(names(ix.get("ns2/a")), ["a-b1"]);
  const newer = { ...obj("a-b1", "a"), spec: { replicas: 2 } };
  ix.upsert(newer);
  assert.equal(ix.get("ns1/a").length, 2);
  assert.ok(ix.get("ns1/a").includes(newer));
  ix.remove(obj("a-b2", "a"));
  assert.deepEqual(names(ix.get("ns1/a")), ["a-b1"]);
  ix.remove(obj("never-seen", "a"));
  assert.deepEqual(names(ix.get("ns1/a")), ["a-b1"]);
});

test("a relabelled object moves to its new key; losing the label takes it out", () => {
  const ix = new CacheIndex(byPolicy);
  ix.upsert(obj("x", "a"));
  ix.upsert(obj("x", "b"));
  assert.deepEqual(ix.get("ns1/a"), []);
  assert.deepEqual(names(ix.get("ns1/b")), ["x"]);
  ix.upsert(obj("x"));
  assert.deepEqual(ix.get("ns1/b"), []);
  ix.remove(obj("x"));
  assert.deepEqual(ix.get("ns1/b"), []);
});
