import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { busOptionsFromFlags, type NatsFlagValues } from "./connection.ts";

const dir = mkdtempSync(join(tmpdir(), "mull-nats-flags-"));
const file = join(dir, "x.pem");
writeFileSync(file, "pem");

const cases: {
  name: string;
  flags: NatsFlagValues;
  env?: Record<string, string>;
  want: unknown;
}[] = [
  { name: "no --nats: no bus", flags: {}, want: undefined },
  {
    name: "servers, comma separated",
    flags: { nats: "nats://a:4222, nats://b:4222" },
    want: { servers: ["nats://a:4222", "nats://b:4222"] },
  },
  {
    name: "user and password (password from the environment)",
    flags: { nats: "nats://a:4222", "nats-user": "mull" },
    env: { NATS_PASSWORD: "s3cret" },
    want: { servers: ["nats://a:4222"], user: "mull", pass: "s3cret" },
  },
  {
    name: "token",
    flags: { nats: "nats://a:4222", "nats-token": "t0k" },
    want: { servers: ["nats://a:4222"], token: "t0k" },
  },
  {
    name: "creds file",
    flags: { nats: "nats://a:4222", "nats-creds": file },
    want: { servers: ["nats://a:4222"], credsFile: file },
  },
  {
    name: "mutual TLS",
    flags: {
      nats: "tls://a:4222",
      "nats-tls-ca": file,
      "nats-tls-cert": file,
      "nats-tls-key": file,
    },
    want: {
      servers: ["tls://a:4222"],
      tls: { caFile: file, certFile: file, keyFile: file },
    },
  },
  {
    name: "--nats-tls alone asks for TLS",
    flags: { nats: "nats://a:4222", "nats-tls": true },
    want: { servers: ["nats://a:4222"], tls: {} },
  },
  {
    name: "bus flags without --nats",
    flags: { "nats-token": "t" },
    want: ["--nats-token need --nats"],
  },
  {
    name: "two kinds of auth",
    flags: { nats: "nats://a:4222", "nats-token": "t", "nats-creds": file },
    want: ["use one of --nats-user/--nats-password, --nats-token, --nats-creds"],
  },
  {
    name: "user without password, cert without key, unreadable file, bad URL",
    flags: {
      nats: "http://a/b",
      "nats-user": "u",
      "nats-tls-cert": join(dir, "missing.pem"),
    },
    want: [
      '--nats: "http://a/b" is not a NATS URL (nats://host:4222)',
      "--nats-user needs --nats-password (or $NATS_PASSWORD)",
      "--nats-tls-cert and --nats-tls-key go together",
      `--nats-tls-cert: cannot read ${join(dir, "missing.pem")}: ENOENT: no such file or directory, open '${join(dir, "missing.pem")}'`,
    ],
  },
];

for (const c of cases) {
  test(`bus flags: ${c.name}`, () => {
    assert.deepEqual(busOptionsFromFlags(c.flags, c.env ?? {}), c.want);
  });
}
