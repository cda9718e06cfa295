// The alert webhook's transport over real HTTP(S) on loopback, with a fake of our own AlertSink:
// auth (bearer, basic, Grafana's HMAC with and without a timestamp), 401 versus 403, the 1 MiB
// limit, bad input, the non-leader and an unreachable API server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import type { TLSSocket } from "node:tls";
import type { AlertSource, IncomingAlert } from "../../controller/alerts/payload.ts";
import { createLogger } from "../log.ts";
import { type AlertsAuth, grafanaSignature, loadAuth } from "./auth.ts";
import {
  type AlertReply,
  type AlertSink,
  AlertsUnavailable,
  maxBodyBytes,
  startAlertsServer,
} from "./server.ts";

const testdata = new URL("../../controller/alerts/testdata/", import.meta.url);
const payload = (name: string) => readFileSync(new URL(name, testdata));

class FakeSink implements AlertSink {
  calls: Array<{ source: AlertSource; alerts: IncomingAlert[] }> = [];
  fail: Error | undefined;
  async deliver(source: AlertSource, alerts: IncomingAlert[]): Promise<AlertReply[]> {
    if (this.fail) throw this.fail;
    this.calls.push({ source, alerts });
    return alerts.map((a) => ({
      fingerprint: a.fingerprint,
      alertname: a.labels.alertname ?? "",
      result: "applied",
      message: "ok",
    }));
  }
}

async function setup(
  t: TestContext,
  auth: AlertsAuth = { token: "s3cret-token", basic: "alertmanager:pa:ss" },
  tls?: { certFile: string; keyFile: string },
  reloadAuth?: () => AlertsAuth,
) {
  const sink = new FakeSink();
  let leader = true;
  const requests: string[] = [];
  const server = await startAlertsServer({
    host: "127.0.0.1",
    port: 0,
    auth,
    ...(tls ? { tls } : {}),
    ...(reloadAuth ? { reloadAuth } : {}),
    leader: () => leader,
    sink,
    log: createLogger("error", {}),
    onRequest: (source, code) => requests.push(`${source} ${code}`),
  });
  t.after(() => server.close());
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  const post = async (
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(url(path), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    const text = await res.text();
    return { code: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    sink,
    server,
    requests,
    post,
    setLeader: (v: boolean) => {
      leader = v;
    },
  };
}

const bearer = { authorization: "Bearer s3cret-token" };

test("a bearer token or basic auth gets the alerts to the sink and each alert's result back", async (t) => {
  const s = await setup(t);
  const am = await s.post("/alerts/alertmanager", payload("alertmanager-firing.json"), bearer);
  assert.equal(am.code, 200);
  assert.equal(s.sink.calls[0]?.source, "alertmanager");
  assert.ok(am.json.results.length > 0);
  assert.equal(am.json.results.length, s.sink.calls[0]?.alerts.length);
  assert.equal(am.json.results[0].fingerprint, "5b1b6e3a2f9c7d04");
  assert.equal(am.json.results[0].result, "applied");

  const basic = `Basic ${Buffer.from("alertmanager:pa:ss").toString("base64")}`;
  const gf = await s.post("/alerts/grafana", payload("grafana-firing.json"), {
    authorization: basic,
  });
  assert.equal(gf.code, 200);
  assert.equal(s.sink.calls[1]?.source, "grafana");
  assert.deepEqual(s.requests, ["alertmanager 200", "grafana 200"]);
});

test("missing credentials are 401, wrong ones 403, and neither reaches the sink", async (t) => {
  const s = await setup(t);
  const body = payload("alertmanager-firing.json");
  const none = await s.post("/alerts/alertmanager", body);
  assert.equal(none.code, 401);
  assert.equal(none.headers.get("www-authenticate"), "Bearer");
  assert.match(none.json.error, /no Authorization/);
  const wrongToken = await s.post("/alerts/alertmanager", body, {
    authorization: "Bearer s3cret-tokeN",
  });
  assert.equal(wrongToken.code, 403);
  const prefix = await s.post("/alerts/alertmanager", body, { authorization: "Bearer s3cret" });
  assert.equal(prefix.code, 403);
  const wrongBasic = await s.post("/alerts/alertmanager", body, {
    authorization: `Basic ${Buffer.from("alertmanager:nope").toString("base64")}`,
  });
  assert.equal(wrongBasic.code, 403);
  const scheme = await s.post("/alerts/alertmanager", body, { authorization: "Digest abc" });
  assert.equal(scheme.code, 403);
  assert.equal(s.sink.calls.length, 0);
});

test("with only basic auth configured a bearer token is refused, and 401 asks for Basic", async (t) => {
  const s = await setup(t, { basic: "u:p" });
  const body = payload("alertmanager-firing.json");
  assert.equal((await s.post("/alerts/alertmanager", body, bearer)).code, 403);
  const none = await s.post("/alerts/alertmanager", body);
  assert.equal(none.code, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", /^Basic/);
});

test("Grafana's HMAC signature, over the body or over timestamp:body, guards /alerts/grafana", async (t) => {
  const body = payload("grafana-firing.json");
  const plain = await setup(t, { token: "s3cret-token", hmac: { secret: "hmac-key" } });
  const good = grafanaSignature("hmac-key", body);
  assert.equal(
    (await plain.post("/alerts/grafana", body, { ...bearer, "X-Grafana-Alerting-Signature": good }))
      .code,
    200,
  );
  const missing = await plain.post("/alerts/grafana", body, bearer);
  assert.equal(missing.code, 401);
  assert.match(missing.json.error, /X-Grafana-Alerting-Signature/);
  const tampered = Buffer.from(body.toString("utf8").replace("0.9412", "0.9413"));
  assert.equal(
    (
      await plain.post("/alerts/grafana", tampered, {
        ...bearer,
        "X-Grafana-Alerting-Signature": good,
      })
    ).code,
    403,
  );
  assert.equal(
    (
      await plain.post("/alerts/grafana", body, {
        ...bearer,
        "X-Grafana-Alerting-Signature": grafanaSignature("other-key", body),
      })
    ).code,
    403,
  );
  // The signature guards Grafana's endpoint; Alertmanager does not sign.
  assert.equal(
    (await plain.post("/alerts/alertmanager", payload("alertmanager-firing.json"), bearer)).code,
    200,
  );
  // A signature never replaces the bearer token.
  assert.equal(
    (await plain.post("/alerts/grafana", body, { "X-Grafana-Alerting-Signature": good })).code,
    401,
  );
  assert.equal(plain.sink.calls.length, 2);

  const stamped = await setup(t, {
    token: "s3cret-token",
    hmac: { secret: "hmac-key", timestampHeader: "X-Grafana-Alerting-Timestamp" },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = grafanaSignature("hmac-key", body, ts);
  assert.notEqual(sig, good);
  const ok = await stamped.post("/alerts/grafana", body, {
    ...bearer,
    "X-Grafana-Alerting-Signature": sig,
    "X-Grafana-Alerting-Timestamp": ts,
  });
  assert.equal(ok.code, 200);
  const noTs = await stamped.post("/alerts/grafana", body, {
    ...bearer,
    "X-Grafana-Alerting-Signature": sig,
  });
  assert.equal(noTs.code, 401);
  const otherTs = await stamped.post("/alerts/grafana", body, {
    ...bearer,
    "X-Grafana-Alerting-Signature": sig,
    "X-Grafana-Alerting-Timestamp": String(Number(ts) + 1),
  });
  assert.equal(otherTs.code, 403);
  // A correctly signed request from an hour ago is a replay: refused.
  const old = String(Number(ts) - 3600);
  const replay = await stamped.post("/alerts/grafana", body, {
    ...bearer,
    "X-Grafana-Alerting-Signature": grafanaSignature("hmac-key", body, old),
    "X-Grafana-Alerting-Timestamp": old,
  });
  assert.equal(replay.code, 403);
  // Without the timestamp in the signed text, the same headers do not verify.
  const bodyOnly = await stamped.post("/alerts/grafana", body, {
    ...bearer,
    "X-Grafana-Alerting-Signature": good,
    "X-Grafana-Alerting-Timestamp": ts,
  });
  assert.equal(bodyOnly.code, 403);
  assert.equal(stamped.sink.calls.length, 1);
});

test("a body over 1 MiB is 413, declared or streamed, and the server keeps serving", async (t) => {
  const s = await setup(t);
  const big = Buffer.alloc(maxBodyBytes + 1, 0x20);
  const declared = await s.post("/alerts/alertmanager", big, bearer);
  assert.equal(declared.code, 413);
  assert.equal(declared.headers.get("connection"), "close");
  // Streamed (chunked, no Content-Length): counted as it arrives.
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 17; i++) c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      c.close();
    },
  });
  const res = await fetch(`http://127.0.0.1:${s.server.port}/alerts/alertmanager`, {
    method: "POST",
    headers: bearer,
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.equal(res.status, 413);
  await res.text();
  // Exactly the limit is fine as far as size goes (then it is not JSON: 400).
  const atLimit = await s.post("/alerts/alertmanager", Buffer.alloc(maxBodyBytes, 0x20), bearer);
  assert.equal(atLimit.code, 400);
  assert.equal(
    (await s.post("/alerts/alertmanager", payload("alertmanager-firing.json"), bearer)).code,
    200,
  );
  assert.equal(s.sink.calls.length, 1);
});

test("malformed JSON, an unknown version or a bad shape is 400 with the reason", async (t) => {
  const s = await setup(t);
  const bad = await s.post("/alerts/alertmanager", "{not json", bearer);
  assert.equal(bad.code, 400);
  assert.match(bad.json.error, /malformed JSON/);
  const am = JSON.parse(payload("alertmanager-firing.json").toString("utf8"));
  const v5 = await s.post("/alerts/alertmanager", JSON.stringify({ ...am, version: "5" }), bearer);
  assert.equal(v5.code, 400);
  assert.match(v5.json.error, /version/);
  // Grafana's version on Alertmanager's endpoint.
  const swapped = await s.post("/alerts/alertmanager", payload("grafana-firing.json"), bearer);
  assert.equal(swapped.code, 400);
  const notArray = await s.post(
    "/alerts/alertmanager",
    JSON.stringify({ ...am, alerts: {} }),
    bearer,
  );
  assert.equal(notArray.code, 400);
  assert.equal((await s.post("/alerts/alertmanager", "[]", bearer)).code, 400);
  assert.equal(s.sink.calls.length, 0);
});

test("other paths are 404, other methods 405, /healthz answers", async (t) => {
  const s = await setup(t);
  assert.equal((await s.post("/alerts/other", "{}", bearer)).code, 404);
  const get = await fetch(`http://127.0.0.1:${s.server.port}/alerts/alertmanager`, {
    headers: bearer,
  });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal((await fetch(`http://127.0.0.1:${s.server.port}/healthz`)).status, 200);
});

test("a non-leader and an unreachable API server answer 503 so that the sender retries", async (t) => {
  const s = await setup(t);
  const body = payload("alertmanager-firing.json");
  s.setLeader(false);
  const follower = await s.post("/alerts/alertmanager", body, bearer);
  assert.equal(follower.code, 503);
  assert.match(follower.json.error, /not the leader/);
  assert.equal(s.sink.calls.length, 0);
  // Auth still comes first: a follower does not tell strangers anything.
  assert.equal((await s.post("/alerts/alertmanager", body)).code, 401);

  s.setLeader(true);
  s.sink.fail = new AlertsUnavailable(
    "cannot read policy ml/math from the API server: ECONNREFUSED",
  );
  const down = await s.post("/alerts/alertmanager", body, bearer);
  assert.equal(down.code, 503);
  assert.match(down.json.error, /ECONNREFUSED/);
  assert.ok(down.headers.get("retry-after"));
  // A bug in the sink is a 500, not a crash.
  s.sink.fail = new TypeError("boom");
  assert.equal((await s.post("/alerts/alertmanager", body, bearer)).code, 500);
  s.sink.fail = undefined;
  assert.equal((await s.post("/alerts/alertmanager", body, bearer)).code, 200);
});

test("with a certificate and key the webhook serves HTTPS, and picks up a renewed certificate", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mull-alerts-tls-"));
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  const issue = (cn: string) =>
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "1",
        "-subj",
        `/CN=${cn}`,
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
  issue("first");
  const s = await setup(t, { token: "s3cret-token" }, { certFile, keyFile });
  const body = payload("alertmanager-firing.json");
  const call = () =>
    new Promise<{ code: number; cn: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: s.server.port,
          path: "/alerts/alertmanager",
          method: "POST",
          ca: readFileSync(certFile),
          agent: false,
          headers: { ...bearer, "content-type": "application/json", "content-length": body.length },
        },
        (res) => {
          const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN);
          res.resume();
          resolve({ code: res.statusCode ?? 0, cn });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  assert.deepEqual(await call(), { code: 200, cn: "first" });
  assert.equal(s.server.reload(), false, "nothing changed");
  issue("renewed");
  assert.equal(s.server.reload(), true);
  assert.deepEqual(await call(), { code: 200, cn: "renewed" });
  assert.equal(s.sink.calls.length, 2);
});

test("a rotated token file is picked up on reload; an emptied one keeps the token in force", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mull-alerts-auth-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "first-token\n");
  const load = () => loadAuth({ tokenFile });
  const s = await setup(t, load(), undefined, load);
  const body = payload("alertmanager-firing.json");
  const as = (token: string) =>
    s.post("/alerts/alertmanager", body, { authorization: `Bearer ${token}` });
  assert.equal((await as("first-token")).code, 200);
  assert.equal(s.server.reload(), false);
  writeFileSync(tokenFile, "second-token\n");
  assert.equal(s.server.reload(), true);
  assert.equal((await as("first-token")).code, 403);
  assert.equal((await as("second-token")).code, 200);
  // Mid-rotation: an empty file is refused by loadAuth, and the second token stays in force.
  writeFileSync(tokenFile, "");
  assert.equal(s.server.reload(), false);
  assert.equal((await as("second-token")).code, 200);
});
