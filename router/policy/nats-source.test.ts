// The rules for applying KV entries, without a server; test/integration/nats-router.test.ts runs
// the source against a real nats-server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import { PolicySnapshotSchema } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { makePolicy } from "../engine/testing/fixtures.ts";
import { SnapshotSet } from "./nats-source.ts";

const bytes = (namespace: string, name: string, generation = 1n) =>
  toBinary(PolicySnapshotSchema, makePolicy({ namespace, name, generation }));
const none = new Uint8Array();

test("PUT serves the snapshot by name; a newer PUT replaces it; DEL and PURGE remove it", () => {
  const set = new SnapshotSet();
  assert.deepEqual(set.apply("ns.math", "PUT", bytes("ns", "math")), { changed: true });
  assert.equal(set.byName().get("math")?.generation, 1n);
  assert.deepEqual(set.apply("ns.math", "PUT", bytes("ns", "math", 2n)), { changed: true });
  assert.equal(set.byName().get("math")?.generation, 2n);
  assert.deepEqual(set.apply("ns.math", "DEL", none), { changed: true });
  assert.equal(set.byName().size, 0);
  assert.deepEqual(set.apply("ns.math", "PURGE", none), { changed: false });
});

test("a bad message keeps the last good snapshot and says why", () => {
  const set = new SnapshotSet();
  set.apply("ns.math", "PUT", bytes("ns", "math"));
  const cases: { name: string; key: string; value: Uint8Array; error: RegExp }[] = [
    {
      name: "garbage",
      key: "ns.math",
      value: new Uint8Array([0xff, 0xff, 0xff]),
      error: /not a PolicySnapshot/,
    },
    {
      name: "another policy's snapshot",
      key: "ns.math",
      value: bytes("ns", "other"),
      error: /ns\/other, not its key's policy/,
    },
    {
      name: "a key without a namespace",
      key: "math",
      value: bytes("ns", "math"),
      error: /not <namespace>\.<name>/,
    },
    {
      name: "no bins",
      key: "ns.math",
      value: toBinary(PolicySnapshotSchema, makePolicy({ namespace: "ns", binTable: [] })),
      error: /no bins/,
    },
  ];
  for (const c of cases) {
    const result = set.apply(c.key, "PUT", c.value);
    assert.equal(result.changed, false, c.name);
    assert.match(result.error ?? "", c.error, c.name);
    assert.equal(set.byName().get("math")?.generation, 1n, c.name);
  }
});

test("--policies filters; two namespaces with one policy name are refused, not mixed up", () => {
  const only = new SnapshotSet(["ns/math"]);
  assert.deepEqual(only.apply("other.math", "PUT", bytes("other", "math")), { changed: false });
  assert.deepEqual(only.apply("ns.math", "PUT", bytes("ns", "math")), { changed: true });
  const all = new SnapshotSet();
  all.apply("ns.math", "PUT", bytes("ns", "math"));
  assert.match(
    all.apply("other.math", "PUT", bytes("other", "math")).error ?? "",
    /already served from namespace ns/,
  );
});

test("a resync drops what the bucket no longer holds", () => {
  const set = new SnapshotSet();
  set.apply("ns.a", "PUT", bytes("ns", "a"));
  set.apply("ns.b", "PUT", bytes("ns", "b"));
  assert.equal(set.retain(new Set(["ns.a"])), true);
  assert.deepEqual([...set.byName().keys()], ["a"]);
  assert.equal(set.retain(new Set(["ns.a"])), false);
});
