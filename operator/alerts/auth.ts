// Who may post alerts: a bearer token and/or basic auth (each from a file the chart mounts from a
// Secret), and on /alerts/grafana, when a secret is configured, Grafana's HMAC signature over the
// body. Every comparison is constant-time over SHA-256 digests, so neither the content nor the
// length of a secret leaks through timing.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";

export interface AlertsAuth {
  token?: string;
  /** "user:password". */
  basic?: string;
  hmac?: { secret: string; timestampHeader?: string };
}

/** Grafana's signature header (grafana/alerting http/hmac.go). */
export const signatureHeader = "x-grafana-alerting-signature";

export interface AuthFiles {
  tokenFile?: string;
  basicAuthFile?: string;
  hmacSecretFile?: string;
  hmacTimestampHeader?: string;
}

/** Reads the credential files; throws with the flag and path named when one is unusable. */
export function loadAuth(f: AuthFiles): AlertsAuth {
  const read = (flag: string, path: string) => {
    let text: string;
    try {
      text = readFileSync(path, "utf8").trim();
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new Error(`--${flag} ${path}: cannot read it (${why})`);
    }
    if (text === "") throw new Error(`--${flag} ${path}: the file is empty`);
    return text;
  };
  const auth: AlertsAuth = {};
  if (f.tokenFile !== undefined) auth.token = read("alerts-token-file", f.tokenFile);
  if (f.basicAuthFile !== undefined) {
    const basic = read("alerts-basic-auth-file", f.basicAuthFile);
    if (!basic.includes(":") || basic.includes("\n")) {
      throw new Error(
        `--alerts-basic-auth-file ${f.basicAuthFile}: expected one line "user:password"`,
      );
    }
    auth.basic = basic;
  }
  if (f.hmacSecretFile !== undefined) {
    auth.hmac = {
      secret: read("alerts-hmac-secret-file", f.hmacSecretFile),
      ...(f.hmacTimestampHeader ? { timestampHeader: f.hmacTimestampHeader } : {}),
    };
  } else if (f.hmacTimestampHeader !== undefined) {
    throw new Error("--alerts-hmac-timestamp-header needs --alerts-hmac-secret-file");
  }
  if (auth.token === undefined && auth.basic === undefined) {
    throw new Error(
      "--alerts-port needs --alerts-token-file or --alerts-basic-auth-file: the webhook never runs unauthenticated",
    );
  }
  return auth;
}

const digest = (s: string | Buffer) => createHash("sha256").update(s).digest();

/** Constant-time equality of two strings (or a string and a buffer). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export type AuthVerdict = { ok: true } | { ok: false; code: 401 | 403; reason: string };

/** The Authorization header against the token and basic credentials. */
export function checkAuthorization(auth: AlertsAuth, headers: IncomingHttpHeaders): AuthVerdict {
  const header = headers.authorization;
  if (!header) return { ok: false, code: 401, reason: "no Authorization header" };
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if (scheme === "bearer" && auth.token !== undefined) {
    return safeEqual(value, auth.token)
      ? { ok: true }
      : { ok: false, code: 403, reason: "wrong bearer token" };
  }
  if (scheme === "basic" && auth.basic !== undefined) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    return safeEqual(decoded, auth.basic)
      ? { ok: true }
      : { ok: false, code: 403, reason: "wrong basic auth credentials" };
  }
  return { ok: false, code: 403, reason: `Authorization scheme "${scheme}" is not accepted` };
}

/** The hex HMAC-SHA256 Grafana sends: over "timestamp:body" with a timestamp header, else the body. */
export function grafanaSignature(secret: string, body: Buffer, timestamp?: string): string {
  const h = createHmac("sha256", secret);
  if (timestamp !== undefined) h.update(`${timestamp}:`);
  return h.update(body).digest("hex");
}

/**
 * How far a signed timestamp may be from our clock. Without a bound, a captured signed request
 * could be replayed forever (a firing alert re-sent after its resolve brings its override back).
 */
export const maxHmacSkewSeconds = 300;

/** Grafana's timestamp as seconds since the epoch (milliseconds are taken too). */
function timestampSeconds(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 1e11 ? n / 1000 : n;
}

export function checkHmac(
  hmac: NonNullable<AlertsAuth["hmac"]>,
  headers: IncomingHttpHeaders,
  body: Buffer,
  nowMs: number = Date.now(),
): AuthVerdict {
  const sig = headers[signatureHeader];
  if (typeof sig !== "string" || sig === "") {
    return { ok: false, code: 401, reason: "no X-Grafana-Alerting-Signature header" };
  }
  let timestamp: string | undefined;
  if (hmac.timestampHeader) {
    const ts = headers[hmac.timestampHeader.toLowerCase()];
    if (typeof ts !== "string" || ts === "") {
      return { ok: false, code: 401, reason: `no ${hmac.timestampHeader} header` };
    }
    timestamp = ts;
  }
  const want = grafanaSignature(hmac.secret, body, timestamp);
  if (!safeEqual(sig.trim().toLowerCase(), want)) {
    return { ok: false, code: 403, reason: "wrong X-Grafana-Alerting-Signature" };
  }
  if (timestamp !== undefined) {
    const seconds = timestampSeconds(timestamp);
    if (seconds === undefined || Math.abs(nowMs / 1000 - seconds) > maxHmacSkewSeconds) {
      return {
        ok: false,
        code: 403,
        reason: `${hmac.timestampHeader} is not within ${maxHmacSkewSeconds} s of now (a replay, or clock skew)`,
      };
    }
  }
  return { ok: true };
}
