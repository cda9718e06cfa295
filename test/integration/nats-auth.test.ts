// The bus flags' credentials and TLS reach a real nats-server: user and password, a token, and
// mutual TLS against a server that requires a client certificate from our CA. A wrong secret is
// refused by the server, so each case proves the option was actually sent.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { makePki } from "../../e2e/cluster/certs.ts";
import { type BusOptions, busOptionsFromFlags, connectBus } from "../../router/bus/connection.ts";
import { privateNats } from "./private-nats.ts";

// Round trip one message over the connection the flags made.
async function roundTrip(options: BusOptions): Promise<string> {
  const nc = await connectBus(options, "auth-test");
  try {
    const sub = nc.subscribe("auth.ping", { max: 1 });
    nc.publish("auth.ping", "pong");
    for await (const m of sub) return m.string();
    return "";
  } finally {
    await nc.close();
  }
}

function options(flags: Parameters<typeof busOptionsFromFlags>[0]): BusOptions {
  const o = busOptionsFromFlags(flags, {});
  assert.ok(o && !Array.isArray(o), JSON.stringify(o));
  return o;
}

test("--nats-user/--nats-password against a server that requires them", async () => {
  const server = await privateNats(["--user=mull", "--pass=s3cret"]);
  try {
    assert.equal(
      await roundTrip(
        options({ nats: server.url, "nats-user": "mull", "nats-password": "s3cret" }),
      ),
      "pong",
    );
    await assert.rejects(
      connect({ servers: server.url, user: "mull", pass: "wrong" }),
      /Authorization Violation/i,
    );
  } finally {
    await server.close();
  }
});

test("--nats-token against a server that requires it", async () => {
  const server = await privateNats(["--auth=t0ken"]);
  try {
    assert.equal(await roundTrip(options({ nats: server.url, "nats-token": "t0ken" })), "pong");
    await assert.rejects(
      connect({ servers: server.url, token: "nope" }),
      /Authorization Violation/i,
    );
  } finally {
    await server.close();
  }
});

test("--nats-tls-ca/--nats-tls-cert/--nats-tls-key: mutual TLS", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mull-nats-pki-"));
  const pki = makePki(dir);
  const server = await privateNats([
    "--tls",
    `--tlscert=${pki.servingCert}`,
    `--tlskey=${pki.servingKey}`,
    `--tlscacert=${pki.caCert}`,
    "--tlsverify",
  ]);
  try {
    const url = server.url.replace("nats://", "tls://");
    assert.equal(
      await roundTrip(
        options({
          nats: url,
          "nats-tls-ca": pki.caCert,
          "nats-tls-cert": pki.adminCert,
          "nats-tls-key": pki.adminKey,
        }),
      ),
      "pong",
    );
    // Without a client certificate the server refuses the handshake.
    await assert.rejects(connect({ servers: url, tls: { caFile: pki.caCert } }));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
