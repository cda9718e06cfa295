// --nats-creds against a real nats-server in operator (decentralised JWT) mode: the test mints an
// operator, an account with JetStream limits and a user, writes the user's .creds file, and the
// connection code `mull router` and `mull operator` use must log in with it and use JetStream KV.
// A creds file whose seed does not match its JWT, or whose account the server does not know, is
// refused by the server; a missing one is refused by the flag check before any connection.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { Kvm } from "@nats-io/kv";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { busOptionsFromFlags, connectBus } from "../../router/bus/connection.ts";
import { privateNats } from "./private-nats.ts";

interface Trust {
  config: string;
  account: KeyPair;
}

// A partial limits claim leaves the rest at 0 (no connections, no subscriptions): say -1 to all.
const NO_LIMITS = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};

// Operator, system account and an application account with JetStream on (-1 = no limit).
async function trust(dir: string): Promise<Trust> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const operatorJwt = await encodeOperator("mull-test", operator, {
    system_account: system.getPublicKey(),
  });
  const systemJwt = await encodeAccount("SYS", system, { limits: NO_LIMITS }, { signer: operator });
  const accountJwt = await encodeAccount(
    "MULL",
    account,
    {
      limits: {
        ...NO_LIMITS,
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
      },
    },
    { signer: operator },
  );
  const config = join(dir, "server.conf");
  writeFileSync(
    config,
    [
      `operator: ${operatorJwt}`,
      `system_account: ${system.getPublicKey()}`,
      "resolver: MEMORY",
      "resolver_preload: {",
      `  ${system.getPublicKey()}: ${systemJwt}`,
      `  ${account.getPublicKey()}: ${accountJwt}`,
      "}",
      "",
    ].join("\n"),
  );
  return { config, account };
}

async function credsFile(dir: string, name: string, issuer: KeyPair, seedOf?: KeyPair) {
  const user = createUser();
  const jwt = await encodeUser(name, user, issuer);
  const path = join(dir, `${name}.creds`);
  writeFileSync(path, fmtCreds(jwt, seedOf ?? user));
  return path;
}

test("--nats-creds: a .creds file logs in to an operator-mode server and can use JetStream KV", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mull-nats-creds-"));
  const { config, account } = await trust(dir);
  const server = await privateNats([`--config=${config}`]);
  try {
    const good = await credsFile(dir, "router", account);
    const options = busOptionsFromFlags({ nats: server.url, "nats-creds": good }, {});
    assert.ok(options && !Array.isArray(options), JSON.stringify(options));
    assert.equal(options.credsFile, good);
    const nc = await connectBus(options, "creds-test");
    try {
      const sub = nc.subscribe("creds.ping", { max: 1 });
      nc.publish("creds.ping", "pong");
      for await (const m of sub) assert.equal(m.string(), "pong");
      const kv = await new Kvm(nc).create("creds_test");
      await kv.put("k", "v1");
      assert.equal((await kv.get("k"))?.string(), "v1");
    } finally {
      await nc.close();
    }

    // The JWT is valid but the seed is another user's: the nonce signature does not verify.
    const wrongSeed = await credsFile(dir, "wrong-seed", account, createUser());
    await assert.rejects(
      connect({ servers: server.url, authenticator: credsAuthenticator(readBytes(wrongSeed)) }),
      /Authorization Violation/i,
    );
    // Signed by an account the server does not trust.
    const stranger = await credsFile(dir, "stranger", createAccount());
    await assert.rejects(
      connect({ servers: server.url, authenticator: credsAuthenticator(readBytes(stranger)) }),
      /Authorization Violation/i,
    );
    // No credentials at all: an operator-mode server admits nobody anonymous.
    await assert.rejects(connect({ servers: server.url }), /Authorization Violation/i);
    // A creds path that does not exist is refused before connecting, naming the flag.
    const missing = busOptionsFromFlags(
      { nats: server.url, "nats-creds": join(dir, "absent.creds") },
      {},
    );
    assert.ok(Array.isArray(missing));
    assert.match(missing.join("\n"), /--nats-creds: cannot read .*absent\.creds/);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function readBytes(path: string): Uint8Array {
  return readFileSync(path);
}
