// One simulated vLLM replica: a real HTTP server on its own port. A proposer serves
// /v1/completions and /v1/chat/completions, a verifier (a PRM under --runner pooling) serves
// /pooling; both serve /health, /v1/models and /metrics.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type ApiError, apiError, isApiError } from "./api-error.ts";
import { BatchScheduler, INSTANT, type SequenceWork, type SpeedConfig } from "./batch-scheduler.ts";
import {
  asChat,
  type CompletionParams,
  complete,
  entropy,
  parseChatRequest,
  parseCompletionRequest,
  type SeedSource,
} from "./completions.ts";
import {
  checkCompletionContext,
  checkPoolingContext,
  DEFAULT_MAX_MODEL_LEN,
} from "./context-limit.ts";
import { DEFAULT_FORMATS, type SimFormat } from "./format.ts";
import { type ReplicaMetrics, replicaMetrics } from "./metrics.ts";
import { DEFAULT_MODEL, type ModelConfig } from "./model-config.ts";
import { parsePoolingRequest, pool } from "./pooling.ts";
import { hash32, rngFrom } from "./random.ts";

export type Role = "proposer" | "verifier";

export const DEFAULT_PROPOSER_MODEL = "meta-llama/Llama-3.2-1B-Instruct";
export const DEFAULT_VERIFIER_MODEL = "Qwen/Qwen2.5-Math-PRM-7B";
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface ServerOptions {
  role: Role;
  model?: string;
  host?: string;
  // 0 (the default) picks a free port.
  port?: number;
  config?: ModelConfig;
  speed?: SpeedConfig;
  // The formats the simulated models understand, tried in order (default: Mull's plain format).
  formats?: readonly SimFormat[];
  // Fraction of generation/pooling requests answered with a 500, for failure tests.
  errorRate?: number;
  // Makes requests without a seed reproducible for this replica (in arrival order).
  seed?: number;
  // vLLM's --served-model-name: the name requests must use and /v1/models lists (default: model).
  servedModelName?: string;
  // vLLM's --api-key: /v1 requests without `Authorization: Bearer <key>` get 401. Like vLLM, only
  // /v1 paths are guarded (not /pooling, /health or /metrics).
  apiKey?: string;
  // How long an idle keep-alive connection stays open; uvicorn (vLLM) closes it after 5 s.
  keepAliveTimeoutMs?: number;
  // vLLM's --max-model-len: prompt + max_tokens above it is a 400 (default 4096).
  maxModelLen?: number;
}

export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface SimServer {
  role: Role;
  model: string;
  url: string;
  port: number;
  scheduler: BatchScheduler;
  metrics: ReplicaMetrics;
  setErrorRate(rate: number): void;
  // Drops every open connection mid-request and stops listening, like a crashed pod.
  kill(): Promise<void>;
  // Stops listening, fails what is in flight and closes every connection.
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, error.body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw apiError(400, "The request body is too large.");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw apiError(400, "The request body is not valid JSON.");
  }
}

// Aborts when the client goes away before the answer is written, so the batch slot frees up.
function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort(new Error("client disconnected"));
  });
  return controller.signal;
}

export async function startServer(options: ServerOptions): Promise<SimServer> {
  const role = options.role;
  const weights =
    options.model ?? (role === "proposer" ? DEFAULT_PROPOSER_MODEL : DEFAULT_VERIFIER_MODEL);
  const model = options.servedModelName ?? weights;
  const config = options.config ?? DEFAULT_MODEL;
  const formats = options.formats ?? DEFAULT_FORMATS;
  const scheduler = new BatchScheduler(options.speed ?? INSTANT);
  const metrics = replicaMetrics(model, scheduler);
  let errorRate = options.errorRate ?? 0;
  const created = Math.floor(Date.now() / 1000);
  const maxModelLen = options.maxModelLen ?? DEFAULT_MAX_MODEL_LEN;
  let fallbackSeed: SeedSource = entropy;
  if (options.seed !== undefined) {
    const draw = rngFrom(hash32("replica-seed", options.seed));
    fallbackSeed = () => Math.floor(draw() * 2 ** 32);
  }

  async function generate(req: IncomingMessage, res: ServerResponse, chat: boolean): Promise<void> {
    const started = performance.now();
    const body = await readJson(req);
    const params: CompletionParams | ApiError = chat
      ? parseChatRequest(body, model, formats)
      : parseCompletionRequest(body, model);
    if (isApiError(params)) return sendError(res, params);
    const tooLong = checkCompletionContext(params.prompts, params.maxTokens, maxModelLen);
    if (tooLong) return sendError(res, tooLong);
    const { response, promptTokens, completionTokens } = complete(
      params,
      model,
      config,
      formats,
      fallbackSeed,
    );
    const work: SequenceWork[] = promptTokens.map((p, i) => ({
      promptTokens: p,
      outputTokens: completionTokens[i] ?? 0,
    }));
    await scheduler.run(work, clientGone(res));
    // vLLM's counter counts the prompt once per choice (each is its own sequence); usage counts
    // it once per request.
    metrics.promptTokens.inc(
      { model_name: model },
      promptTokens.reduce((a, b) => a + b, 0),
    );
    metrics.generationTokens.inc({ model_name: model }, response.usage.completion_tokens);
    for (const c of response.choices) {
      metrics.requestSuccess.inc({ model_name: model, finished_reason: c.finish_reason });
    }
    metrics.e2eLatency.observe({ model_name: model }, (performance.now() - started) / 1000);
    sendJson(res, 200, chat ? asChat(response) : response);
  }

  async function score(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const inputs = parsePoolingRequest(await readJson(req), model);
    if (isApiError(inputs)) return sendError(res, inputs);
    const tooLong = checkPoolingContext(inputs, maxModelLen);
    if (tooLong) return sendError(res, tooLong);
    const { response, tokens } = pool(inputs, model, config, formats);
    await scheduler.run(
      tokens.map((t) => ({ promptTokens: t, outputTokens: 0 })),
      clientGone(res),
    );
    metrics.promptTokens.inc({ model_name: model }, response.usage.prompt_tokens);
    for (let i = 0; i < inputs.length; i++) {
      metrics.requestSuccess.inc({ model_name: model, finished_reason: "stop" });
    }
    metrics.e2eLatency.observe({ model_name: model }, (performance.now() - started) / 1000);
    sendJson(res, 200, response);
  }

  const routes: Record<
    string,
    Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void>
  > = {
    "/health": {
      GET: (_req, res) => {
        res.writeHead(200, { "content-length": 0 });
        res.end();
      },
    },
    "/v1/models": {
      GET: (_req, res) =>
        sendJson(res, 200, {
          object: "list",
          data: [
            {
              id: model,
              object: "model",
              created,
              owned_by: "vllm",
              root: weights,
              parent: null,
              max_model_len: maxModelLen,
              permission: [],
            },
          ],
        }),
    },
    "/metrics": {
      GET: async (_req, res) => {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
      },
    },
  };
  const work = (handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => ({
    POST: (req: IncomingMessage, res: ServerResponse) => {
      if (Math.random() < errorRate) {
        req.resume();
        return sendError(res, apiError(500, "Simulated replica failure."));
      }
      return handle(req, res);
    },
  });
  if (role === "proposer") {
    routes["/v1/completions"] = work((req, res) => generate(req, res, false));
    routes["/v1/chat/completions"] = work((req, res) => generate(req, res, true));
  } else {
    routes["/pooling"] = work(score);
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes[path];
    // FastAPI's answers for unknown paths and wrong methods.
    if (!route) return sendJson(res, 404, { detail: "Not Found" });
    const handler = route[req.method ?? "GET"];
    if (!handler) return sendJson(res, 405, { detail: "Method Not Allowed" });
    // vLLM's AuthenticationMiddleware: the exact header, and only on /v1 paths.
    if (
      options.apiKey !== undefined &&
      path.startsWith("/v1") &&
      req.headers.authorization !== `Bearer ${options.apiKey}`
    ) {
      req.resume();
      return sendJson(res, 401, { error: "Unauthorized" });
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (res.headersSent || res.destroyed) return;
        if (isApiError(error)) return sendError(res, error);
        sendError(res, apiError(500, error instanceof Error ? error.message : String(error)));
      });
  });
  // uvicorn closes a connection that has been idle for 5 s and, unlike Node, gives no notice (no
  // `Keep-Alive: timeout=` header): a client learns of it only when its next request meets the
  // closed socket. So Node's own keep-alive timer is off and the close is done here.
  server.keepAliveTimeout = 0;
  const idleMs = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  const idleTimers = new WeakMap<Socket, NodeJS.Timeout>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    clearTimeout(idleTimers.get(socket));
    res.on("finish", () =>
      idleTimers.set(
        socket,
        setTimeout(() => socket.destroy(), idleMs),
      ),
    );
  });
  server.on("connection", (socket: Socket) => {
    socket.on("close", () => clearTimeout(idleTimers.get(socket)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      scheduler.close();
      server.closeAllConnections();
    });
    return closed;
  };
  return {
    role,
    model,
    url: `http://${host}:${port}`,
    port,
    scheduler,
    metrics,
    setErrorRate(rate: number) {
      errorRate = rate;
    },
    // Connections are destroyed before in-flight work is failed, so clients see a reset rather
    // than an error response.
    kill: () => {
      server.closeAllConnections();
      return shutdown();
    },
    close: shutdown,
  };
}
