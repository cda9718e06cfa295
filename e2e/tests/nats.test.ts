// The nats fixture hands out a working server: core pub/sub and JetStream KV (the fleet bus uses both).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { nats } from "../fixture.ts";

test("the nats fixture's server carries messages and JetStream KV", async (t) => {
  const { url } = await nats();
  const nc = await connect({ servers: url });
  t.after(() => nc.close());

  const sub = nc.subscribe("e2e.ping", { max: 1 });
  nc.publish("e2e.ping", "hello");
  for await (const m of sub) assert.equal(m.string(), "hello");

  const kv = await new Kvm(nc).create(`e2e-${process.pid}`);
  await kv.put("policy", "v1");
  assert.equal((await kv.get("policy"))?.string(), "v1");
  await kv.destroy();
});
