// The OpenAI-compatible front door: POST /v1/chat/completions, POST /v1/completions and
// GET /v1/models over node:http. A thin shell: the request handling (policy, validation,
// admission, engine, metrics) is service/solve-service.ts, the same as gRPC's; this file reads
// and bounds the HTTP request, turns the client's timeout and disconnect into a CallLifetime,
// and writes OpenAI's JSON or Server-Sent Events.
//
// Nothing a client sends takes the router down: bodies are bounded, bad JSON is a 400, every
// error (ours included) ends as OpenAI's error JSON, and a client that disconnects cancels its
// request, which releases its slot.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { SolveEvent, SolveResponse } from "../../proto/gen/mull/v1/router_pb.ts";
import { invalidArgument } from "../engine/errors.ts";
import type { RouterMetrics } from "../metrics.ts";
import { resolvePolicy } from "../policy/resolve-policy.ts";
import type { CallLifetime } from "../service/deadline.ts";
import type { SolveService } from "../service/solve-service.ts";
import type { ApiKeys } from "./api-keys.ts";
import { errorOf, type HttpError, httpError } from "./openai-errors.ts";
import {
  type CompletionKind,
  type ParsedRequest,
  parseCompletionRequest,
} from "./openai-request.ts";
import {
  completionBody,
  eventChunk,
  modelsBody,
  type ResponseHead,
  responseHead,
  roleChunk,
  usageChunk,
} from "./openai-response.ts";

export interface HttpFrontDoorOptions {
  host: string;
  port: number;
  // Larger bodies are refused with 413 before they are read in full.
  maxBodyBytes: number;
  // The deadline of a request that sets none (X-Request-Timeout, mull.timeout_ms): every request
  // ends in bounded time.
  defaultTimeoutMs: number;
  // Bearer keys; without them the front door is open.
  apiKeys?: ApiKeys;
  metrics?: RouterMetrics;
  // A stream quiet for this long gets an SSE comment, so proxies do not cut it as idle.
  keepAliveMs?: number;
  // A request's headers must arrive within this, its body within requestTimeoutMs, and a new
  // connection must start a request within headersTimeoutMs too (node:http alone would keep a
  // silent connection open for ever).
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface HttpFrontDoor {
  port: number;
  // Stop taking requests; wait up to graceMs for those in flight, then cut them off.
  shutdown(graceMs: number): Promise<void>;
}

const ROUTES = ["/v1/chat/completions", "/v1/completions", "/v1/models"] as const;
const MODEL_PREFIX = "/v1/models/";
// The request id is echoed in the x-request-id header, which can carry only visible ASCII (the
// id's own bounds are the shared validation's).
const ECHOABLE_ID = /^[\x21-\x7e]+$/;

export async function startHttpFrontDoor(
  service: SolveService,
  options: HttpFrontDoorOptions,
): Promise<HttpFrontDoor> {
  let draining = false;
  const active = new Set<ServerResponse>();
  let onIdle: (() => void) | undefined;

  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 60_000;
  const server: Server = createServer(
    // Bounds on the request itself; a stream's response is bounded by its deadline instead.
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: 5_000,
      // node:http checks the two timeouts above this often.
      connectionsCheckingInterval: Math.min(30_000, headersTimeout, requestTimeout),
    },
    (req, res) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const route = (ROUTES as readonly string[]).includes(path)
        ? path
        : path.startsWith(MODEL_PREFIX)
          ? "/v1/models/{model}"
          : "other";
      active.add(res);
      res.on("error", () => {
        // The client went away mid-write; the close handler below cancels the request.
      });
      res.on("close", () => {
        // A response the client left before its end is counted as nginx logs it: 499.
        const code = res.writableFinished ? String(res.statusCode) : "499";
        options.metrics?.httpResponses.inc({ route, code });
        active.delete(res);
        if (active.size === 0) onIdle?.();
      });
      serve(req, res, path).catch((error: unknown) => fail(res, httpError(error)));
    },
  );
  // A connection that never starts a request is closed (one that did is node:http's to bound).
  const started = new WeakSet<object>();
  server.on("request", (req: IncomingMessage) => started.add(req.socket));
  server.on("connection", (socket: Socket) => {
    const timer = setTimeout(() => {
      if (!started.has(socket)) socket.destroy();
    }, headersTimeout);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  });
  // A malformed request line or headers (400), or a request too slow to arrive (408): answer
  // and close, never throw.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const status =
      error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
    else socket.destroy();
  });

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (draining) {
      res.setHeader("connection", "close");
      return fail(res, errorOf(503, "router shutting down", "unavailable"));
    }
    if (options.apiKeys && !options.apiKeys.accepts(req.headers.authorization)) {
      return fail(
        res,
        errorOf(401, "missing or wrong API key (Authorization: Bearer <key>)", "invalid_api_key"),
      );
    }
    if (path === "/v1/models") {
      if (req.method !== "GET") return methodNotAllowed(res, "GET");
      return sendJson(res, 200, modelsBody(service.policies.list(), Math.floor(Date.now() / 1000)));
    }
    if (path.startsWith(MODEL_PREFIX)) {
      if (req.method !== "GET") return methodNotAllowed(res, "GET");
      // GET /v1/models/{model}: one policy, by either of its names (a bad escape is no model).
      let name = "";
      try {
        name = decodeURIComponent(path.slice(MODEL_PREFIX.length));
      } catch {}
      const policy = resolvePolicy(service.policies, name);
      return sendJson(res, 200, modelsBody([policy], Math.floor(Date.now() / 1000)).data[0]);
    }
    const kind: CompletionKind | undefined =
      path === "/v1/chat/completions" ? "chat" : path === "/v1/completions" ? "text" : undefined;
    if (kind === undefined) {
      return fail(res, errorOf(404, `no such route; try ${ROUTES.join(", ")}`, "unknown_url"));
    }
    if (req.method !== "POST") return methodNotAllowed(res, "POST");
    const receivedAt = Date.now();
    const body = await readJson(req, options.maxBodyBytes);
    if ("status" in body) return fail(res, body);
    const parsed = parseCompletionRequest(body.value, kind);
    const requestId = req.headers["x-request-id"];
    if (typeof requestId === "string") parsed.solve.requestId = requestId;
    const timeoutMs = requestTimeoutMs(req, parsed) ?? options.defaultTimeoutMs;
    const lifetime = lifetimeOf(res, receivedAt + timeoutMs);
    if (parsed.stream) return stream(res, parsed, lifetime);
    const response = await service.solve(parsed.solve, lifetime);
    echoRequestId(res, response.requestId);
    sendJson(
      res,
      200,
      completionBody(responseHead(kind, response.requestId, parsed.model), response),
    );
  }

  async function stream(res: ServerResponse, parsed: ParsedRequest, lifetime: CallLifetime) {
    let head: ResponseHead | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    const write = (data: string) => {
      if (!res.destroyed && !res.writableEnded) res.write(`data: ${data}\n\n`);
    };
    const send = (event: SolveEvent) => {
      if (head) write(JSON.stringify(eventChunk(head, event, parsed.includeUsage)));
    };
    // The 200 goes out only once the request holds a slot: until then a refusal (400, 404, 429,
    // 504 while queued) still gets its own status.
    const admitted = () => {
      head = responseHead(parsed.kind, parsed.solve.requestId, parsed.model);
      echoRequestId(res, parsed.solve.requestId);
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      write(JSON.stringify(roleChunk(head, parsed.includeUsage)));
      keepAlive = setInterval(() => {
        if (!res.destroyed && !res.writableEnded) res.write(": keep-alive\n\n");
      }, options.keepAliveMs ?? 15_000);
    };
    let response: SolveResponse;
    try {
      response = await service.solveStream(parsed.solve, lifetime, send, admitted);
    } catch (error) {
      clearInterval(keepAlive);
      if (!res.headersSent) throw error;
      // Mid-stream, the status is already 200: the error travels as an event, as OpenAI's does.
      write(JSON.stringify(httpError(error).body));
      write("[DONE]");
      res.end();
      return;
    }
    clearInterval(keepAlive);
    if (head && parsed.includeUsage) write(JSON.stringify(usageChunk(head, response)));
    write("[DONE]");
    res.end();
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

  return {
    port,
    shutdown: async (graceMs) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idle =
        active.size === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              onIdle = resolve;
            });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), graceMs);
      });
      // Cutting the connections cancels what still runs: the engine stops and slots free up.
      if ((await Promise.race([idle, late])) === "late") server.closeAllConnections();
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
    },
  };
}

// The client's deadline: X-Request-Timeout (seconds) or mull.timeout_ms; the earlier wins.
function requestTimeoutMs(req: IncomingMessage, parsed: ParsedRequest): number | undefined {
  const header = req.headers["x-request-timeout"];
  let fromHeader: number | undefined;
  if (header !== undefined) {
    const seconds =
      typeof header === "string" && /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) : NaN;
    if (!(seconds > 0)) {
      throw invalidArgument("X-Request-Timeout must be a positive number of seconds");
    }
    fromHeader = seconds * 1000;
  }
  const all = [fromHeader, parsed.timeoutMs].filter((t): t is number => t !== undefined);
  return all.length > 0 ? Math.min(...all) : undefined;
}

// A client that closes the connection before its answer is complete has cancelled.
function lifetimeOf(res: ServerResponse, deadline: number): CallLifetime {
  return {
    deadline,
    onCancel: (listener) => {
      const onClose = () => {
        if (!res.writableFinished) listener();
      };
      res.on("close", onClose);
      return () => res.off("close", onClose);
    },
  };
}

type Body = { value: unknown } | HttpError;

function readJson(req: IncomingMessage, limit: number): Promise<Body> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return Promise.resolve(tooLarge(limit));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (body: Body) => {
      if (done) return;
      done = true;
      resolve(body);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the answer closes the connection, which discards the rest.
        req.pause();
        finish(tooLarge(limit));
      } else if (!done) {
        chunks.push(chunk);
      }
    });
    req.on("end", () => {
      try {
        finish({ value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      } catch {
        finish(errorOf(400, "the request body is not valid JSON", "invalid_json"));
      }
    });
    req.on("error", () =>
      finish(errorOf(400, "the request body could not be read", "invalid_body")),
    );
    // After "end" this changes nothing; before it, the client went away mid-body.
    req.on("close", () => finish(errorOf(400, "the request body was cut off", "invalid_body")));
  });
}

function tooLarge(limit: number): HttpError {
  const error = errorOf(413, `the request body is larger than ${limit} bytes`, "body_too_large");
  return { ...error, headers: { ...error.headers, connection: "close" } };
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  fail(res, errorOf(405, `use ${allow}`, "method_not_allowed"));
}

function fail(res: ServerResponse, error: HttpError): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.end();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  sendJson(res, error.status, error.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function echoRequestId(res: ServerResponse, id: string): void {
  if (ECHOABLE_ID.test(id)) res.setHeader("x-request-id", id);
}
