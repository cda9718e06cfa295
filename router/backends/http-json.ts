// A JSON POST with failures sorted into what the caller can act on: the replica could not be
// reached or broke off (try another one), or it answered with an HTTP error (tell the caller what
// it said). node:http with keep-alive agents rather than fetch: on the router's hot path fetch's
// web streams cost about as much CPU as everything else the router does per backend call.
import http from "node:http";
import https from "node:https";

export class HttpStatusError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(url: string, status: number, body: string) {
    super(`${url} answered HTTP ${status}: ${summarise(body)}`);
    this.name = "HttpStatusError";
    this.status = status;
    this.body = body;
  }
}

// The replica answered 2xx but not with what the API promises.
export class BadResponseError extends Error {
  constructor(url: string, detail: string) {
    super(`${url} sent an unexpected response: ${detail}`);
    this.name = "BadResponseError";
  }
}

// No connection, or the connection broke before the whole answer arrived.
export class ConnectionError extends Error {
  readonly code: string;
  constructor(url: string, cause: unknown) {
    const code = (cause as { code?: unknown })?.code;
    const reason = typeof code === "string" ? code : ((cause as Error)?.message ?? String(cause));
    super(`${url}: ${reason}`, { cause });
    this.name = "ConnectionError";
    this.code = reason;
  }
}

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

// Rejects with the signal's reason when it aborts (a TimeoutError for the per-call bound), as
// fetch does, so callers tell a slow replica from a cancelled request.
export function postJson(url: string, body: unknown, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const target = new URL(url);
    const secure = target.protocol === "https:";
    const payload = Buffer.from(JSON.stringify(body));
    const fail = (error: unknown) =>
      reject(signal.aborted ? signal.reason : new ConnectionError(url, error));
    const request = (secure ? https : http).request(
      target,
      {
        method: "POST",
        agent: agents[secure ? "https:" : "http:"],
        headers: { "content-type": "application/json", "content-length": payload.length },
        signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", fail);
        response.on("close", () => {
          if (!response.complete) fail(new Error("connection closed mid-response"));
        });
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            return reject(new HttpStatusError(url, status, text));
          }
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new BadResponseError(url, `not JSON: ${summarise(text)}`));
          }
        });
      },
    );
    request.on("error", fail);
    request.end(payload);
  });
}

// vLLM puts the reason in {"message": ...} or {"error": {"message": ...}}; keep it short.
function summarise(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: { message?: unknown } };
    const message = parsed.message ?? parsed.error?.message;
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 300);
}
