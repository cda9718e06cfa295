import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node";
import { SharedConnectionsKubeConfig } from "./kubeconfig.ts";

// A TLS cluster and a client-certificate user, like the e2e admin kubeconfig. Nothing connects:
// only the dispatcher each request is given is compared.
const pem = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");

function load(kc: KubeConfig, server = "https://127.0.0.1:6443"): KubeConfig {
  kc.loadFromOptions({
    clusters: [{ name: "c", server, caData: pem.toString("base64") }],
    users: [{ name: "u", certData: pem.toString("base64"), keyData: pem.toString("base64") }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext("https://127.0.0.1:6443/api/v1/pods", HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

test("client-node alone gives every request a new Agent (what this works around)", async () => {
  const kc = load(new KubeConfig());
  const a = await dispatcherOf(kc);
  assert.ok(a);
  assert.notEqual(a, await dispatcherOf(kc));
});

test("every request of one cluster and user shares one Agent", async () => {
  const kc = load(new SharedConnectionsKubeConfig());
  const a = await dispatcherOf(kc);
  assert.ok(a);
  assert.equal(await dispatcherOf(kc), a);
  assert.equal(await dispatcherOf(kc), a);
});

test("another cluster gets its own Agent", async () => {
  const one = load(new SharedConnectionsKubeConfig());
  const a = await dispatcherOf(one);
  one.loadFromOptions({
    clusters: [{ name: "d", server: "https://127.0.0.2:6443", caData: pem.toString("base64") }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "ctx2", cluster: "d", user: "u" }],
    currentContext: "ctx2",
  });
  const b = await dispatcherOf(one);
  assert.ok(b);
  assert.notEqual(b, a);
  assert.equal(await dispatcherOf(one), b);
});
