// A minimal vLLM replica that can be told to fail the way real servers do: real HTTP on
// loopback, speaking /v1/completions (proposer) or /pooling (verifier). When healthy it answers
// well-formed responses (every sample a finished solution, one [neg, pos] row per <extra_0>);
// otherwise it answers 500 or 503, invalid JSON (Python's NaN), a wrong number of choices or
// rows, an out-of-range score, hangs, drips the body a byte at a time, or resets the connection
// halfway through the body. Not a test file itself (no .test.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Failure =
  | "http_500"
  | "http_503"
  | "invalid_json"
  | "wrong_count"
  | "nan"
  | "out_of_range"
  | "hang"
  | "slow_drip"
  | "reset_mid_body";

export const FAILURES: readonly Failure[] = [
  "http_500",
  "http_503",
  "invalid_json",
  "wrong_count",
  "nan",
  "out_of_range",
  "hang",
  "slow_drip",
  "reset_mid_body",
];

export type Role = "proposer" | "verifier";

export interface FakeVllm {
  role: Role;
  url: string;
  // Requests received on the serving path (completions or pooling).
  hits: number;
  // undefined = healthy.
  failure: Failure | undefined;
  // Stop listening and drop every connection, like a crashed pod.
  kill(): Promise<void>;
  // Listen again on the same port, like the pod coming back.
  restart(): Promise<void>;
  close(): Promise<void>;
}

const STEP_TAG = "<extra_0>";

function completion(body: { n?: number }, failure: Failure | undefined): unknown {
  const n = body.n ?? 1;
  const count = failure === "wrong_count" ? n + 1 : n;
  return {
    id: "cmpl-fake",
    object: "text_completion",
    choices: Array.from({ length: count }, (_, index) => ({
      index,
      text: "Add the numbers.\n\nThe answer is \\boxed{4}.",
      finish_reason: "stop",
      stop_reason: null,
    })),
    usage: {
      prompt_tokens: 20,
      completion_tokens: failure === "out_of_range" ? -5 : 12 * n,
      total_tokens: 20 + 12 * n,
    },
  };
}

function pooling(body: { input?: unknown }, failure: Failure | undefined): unknown {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const data = inputs.map((input, index) => {
    const steps = JSON.stringify(input).split(STEP_TAG).length - 1;
    const rows = failure === "wrong_count" ? steps + 1 : steps;
    const pos = failure === "out_of_range" ? 1e300 : 0.9;
    return { index, object: "pooling", data: Array.from({ length: rows }, () => [0.1, pos]) };
  });
  return { id: "pool-fake", object: "list", data, usage: { prompt_tokens: 30 * inputs.length } };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

function answer(res: ServerResponse, text: string, failure: Failure | undefined): void {
  switch (failure) {
    case "http_500":
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":{"message":"EngineCore died","type":"InternalServerError","code":500}}');
      return;
    case "http_503":
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"error":{"message":"Service Unavailable","code":503}}');
      return;
    case "invalid_json":
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text.slice(0, Math.floor(text.length / 2)));
      return;
    case "nan":
      // Python's json.dumps writes NaN for a float('nan'); that is not JSON.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text.replace(/("completion_tokens":)\d+|0\.9/, (_m, key) => `${key ?? ""}NaN`));
      return;
    case "hang":
      return;
    case "slow_drip": {
      res.writeHead(200, { "content-type": "application/json" });
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= text.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(text[i++]);
      }, 50);
      res.on("close", () => clearInterval(timer));
      return;
    }
    case "reset_mid_body":
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setImmediate(() => res.socket?.destroy());
      return;
    default:
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
  }
}

export async function startFakeVllm(role: Role, failure?: Failure): Promise<FakeVllm> {
  let server: Server | undefined;
  let port = 0;
  const fake: FakeVllm = {
    role,
    url: "",
    hits: 0,
    failure,
    kill: async () => {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
    restart: () => listen(),
    close: () => fake.kill(),
  };
  const path = role === "proposer" ? "/v1/completions" : "/pooling";
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== path || req.method !== "POST") {
      res.writeHead(404).end('{"detail":"Not Found"}');
      return;
    }
    fake.hits++;
    readBody(req).then(
      (body) => {
        const current = fake.failure;
        const ok =
          role === "proposer"
            ? completion(body as never, current)
            : pooling(body as never, current);
        answer(res, JSON.stringify(ok), current);
      },
      () => res.writeHead(400).end('{"error":{"message":"bad JSON"}}'),
    );
  };
  async function listen(): Promise<void> {
    const s = createServer(handler);
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    server = s;
    port = (s.address() as AddressInfo).port;
    fake.url = `http://127.0.0.1:${port}`;
  }
  await listen();
  return fake;
}
