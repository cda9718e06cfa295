// A JSON POST with failures sorted into what the caller can act on: the replica could not be
// reached or broke off (try another one), answered with an HTTP error (a 5xx is the replica's
// fault, a 4xx the request's), or answered 2xx with something that is not what the API
// promises. node:http with keep-alive agents rather than fetch: on the router's hot path fetch's
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

// The replica answered 2xx but not with what the API promises: not JSON at all, or JSON of the
// wrong shape (wrong number of choices or rows, scores out of range).
export type BadResponseKind = "invalid_json" | "bad_response";

export class BadResponseError extends Error {
  readonly kind: BadResponseKind;
  constructor(url: string, detail: string, kind: BadResponseKind = "bad_response") {
    super(`${url} sent an unexpected response: ${detail}`);
    this.name = "BadResponseError";
    this.kind = kind;
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

export interface RequestOptions {
  // Extra request headers, e.g. the pool's Authorization.
  headers?: Readonly<Record<string, string>>;
}

// vLLM's server (uvicorn) closes a keep-alive connection after 5 s idle
// (VLLM_HTTP_TIMEOUT_KEEP_ALIVE). A request written to a socket at that moment is reset, so the
// router closes idle sockets first, and a reset on a reused socket before any answer is retried
// once on a fresh one (below); neither says anything about the replica's health.
export const IDLE_SOCKET_TIMEOUT_MS = 4_000;

const agents = {
  "http:": new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS }),
  "https:": new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS }),
};

// Rejects with the signal's reason when it aborts (a TimeoutError for the per-call bound), as
// fetch does, so callers tell a slow replica from a cancelled request.
export function postJson(
  url: string,
  body: unknown,
  signal: AbortSignal,
  options: RequestOptions = {},
): Promise<unknown> {
  return requestJson("POST", url, Buffer.from(JSON.stringify(body)), signal, options);
}

// A GET with the same failure sorting, keep-alive handling and headers (e.g. /v1/models, which
// vLLM guards with its API key too).
export function getJson(
  url: string,
  signal: AbortSignal,
  options: RequestOptions = {},
): Promise<unknown> {
  return requestJson("GET", url, undefined, signal, options);
}

async function requestJson(
  method: "GET" | "POST",
  url: string,
  payload: Buffer | undefined,
  signal: AbortSignal,
  options: RequestOptions,
): Promise<unknown> {
  try {
    return await requestOnce(method, url, payload, signal, options);
  } catch (error) {
    if (!(error instanceof StaleSocketError)) throw error;
    return requestOnce(method, url, payload, signal, options, true);
  }
}

// How a socket the server closed while idle fails the next request written on it: a reset when
// the request reached a closed socket, a broken pipe when the write itself failed.
const STALE = new Set(["ECONNRESET", "EPIPE"]);

// The server closed a kept-alive socket just as this request was written on it.
class StaleSocketError extends Error {
  constructor(cause: unknown) {
    super("stale keep-alive socket", { cause });
  }
}

function requestOnce(
  method: "GET" | "POST",
  url: string,
  payload: Buffer | undefined,
  signal: AbortSignal,
  options: RequestOptions,
  retried = false,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const target = new URL(url);
    const secure = target.protocol === "https:";
    let answered = false;
    const request = (secure ? https : http).request(
      target,
      {
        method,
        agent: agents[secure ? "https:" : "http:"],
        headers: {
          ...options.headers,
          ...(payload
            ? { "content-type": "application/json", "content-length": payload.length }
            : {}),
        },
        // The agent's idle timeout is for free sockets only; a long generation sends nothing
        // until it is done, and the per-call timeout bounds it instead.
        timeout: 0,
        signal,
      },
      (response) => {
        answered = true;
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
            reject(new BadResponseError(url, `not JSON: ${summarise(text)}`, "invalid_json"));
          }
        });
      },
    );
    function fail(error: unknown): void {
      const code = (error as { code?: unknown })?.code;
      if (signal.aborted) reject(signal.reason);
      // Node's advice for keep-alive agents: a reused socket that is reset before any byte of
      // the answer came back was most likely closed by the server while idle.
      else if (!retried && !answered && request.reusedSocket && STALE.has(String(code))) {
        reject(new StaleSocketError(error));
      } else reject(new ConnectionError(url, error));
    }
    request.on("error", fail);
    if (payload) request.end(payload);
    else request.end();
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
