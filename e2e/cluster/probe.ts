// Health probes over HTTP(S). node:https rather than fetch: fetch cannot present a client
// certificate without an extra dependency, and the apiserver's /readyz wants the admin one.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
  /** For components that serve a self-signed cert we never see (controller-manager, scheduler). */
  insecure?: boolean;
}

export interface ProbeResult {
  status: number;
  body: string;
}

export function get(url: string, tls: ClientTls = {}, timeoutMs = 2000): Promise<ProbeResult> {
  const u = new URL(url);
  const options =
    u.protocol === "https:"
      ? {
          ca: tls.ca ? readFileSync(tls.ca) : undefined,
          cert: tls.cert ? readFileSync(tls.cert) : undefined,
          key: tls.key ? readFileSync(tls.key) : undefined,
          rejectUnauthorized: !tls.insecure,
          timeout: timeoutMs,
        }
      : { timeout: timeoutMs };
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Resolves true on a 200, throws otherwise with the body (waitFor reports the last one). */
export async function healthy(url: string, tls?: ClientTls): Promise<true> {
  const r = await get(url, tls);
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
  return true;
}
