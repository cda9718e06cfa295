// `mull bench router`: what the router costs. Best-of-4 Solve requests through the router
// (gRPC → engine → 1 completions call with n=4 + 1 PRM scoring call) against instant simulated
// backends, compared with a direct client making the same two HTTP calls itself, in the same
// run. Prints throughput router ÷ direct and the latency the router adds (p50/p99), both at
// concurrency 1 (pure overhead) and at --concurrency (overhead under load). The same requests
// through the OpenAI-compatible HTTP front door of the same router are compared with gRPC, unary
// and streamed, in the same run.
import { spawn } from "node:child_process";
import http from "node:http";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { create, toJson } from "@bufbuild/protobuf";
import { parse as parseYaml } from "yaml";
import { Estimator, PolicySnapshotSchema, type Pool } from "../proto/gen/mull/v1/fleet_pb.ts";
import { Aggregation, Router, Strategy } from "../proto/gen/mull/v1/router_pb.ts";
import { postJson } from "../router/backends/http-json.ts";
import { policyFormats } from "../router/formats/index.ts";
import { completionPrompt } from "../router/formats/prompt.ts";
import { createClient } from "../router/grpc/adapter.ts";
import { makeDataset } from "../sim/dataset.ts";

const USAGE = `usage: mull bench router [options]   (npm run bench -- router)

Router overhead: Solve (best-of-4, PRM-weighted) through the router vs a direct client making
the same HTTP calls (one /v1/completions with n=4, one /pooling with 4 inputs) against an
simulated fleet in its own process. Both are measured in this run. Then the OpenAI-compatible
front door (POST /v1/chat/completions, plain and stream: true) against gRPC (Solve,
SolveStream) on the same router, also in this run. With the default instant fleet
(--speed 0) the backends cost nothing, so the ratio is the router's whole overhead on this
machine's cores; --speed 1 shows the same with a batching fleet as slow as a 1B model on one GPU.

options:
  --requests N       requests per loaded phase (default 1500)
  --concurrency C    requests in flight in the loaded phases (default 16)
  --serial N         requests per concurrency-1 phase (default 200)
  --max-phase-ms MS  stop a phase early after this long (default 4000)
  --speed S          simulated fleet speed, 0 = instant (default 0)
  -h, --help         this text
`;

const POLICY = "bench";
const N = 4;

export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    process.stderr.write(`mull bench router: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const requests = int(values.requests, 1500);
  const concurrency = int(values.concurrency, 16);
  const serial = int(values.serial, 200);
  const maxPhaseMs = int(values["max-phase-ms"], 4000);
  if ([requests, concurrency, serial, maxPhaseMs].some((n) => !(n > 0))) {
    process.stderr.write(`mull bench router: options must be positive integers\n\n${USAGE}`);
    return 2;
  }

  const speed = Number(values.speed ?? 0);
  if (!(speed >= 0)) {
    process.stderr.write(`mull bench router: --speed must be a non-negative number\n\n${USAGE}`);
    return 2;
  }
  const sim = await startSim(speed);
  let worker: Worker | undefined;
  try {
    const policy = create(PolicySnapshotSchema, {
      name: POLICY,
      bins: 1,
      estimator: Estimator.hint,
      defaultGenerations: N,
      maxGenerations: N,
      aggregation: Aggregation.last,
      binTable: [
        {
          bin: 1,
          levels: [{ strategy: Strategy.bestOfN, generations: N }],
          proposer: sim.proposer,
          verifier: sim.verifier,
        },
      ],
    });
    worker = new Worker(new URL("./router-worker.ts", import.meta.url), {
      workerData: {
        policyJson: toJson(PolicySnapshotSchema, policy),
        maxInFlight: concurrency * 2,
      },
    });
    const { port, httpPort } = await new Promise<{ port: number; httpPort: number }>(
      (resolve, reject) => {
        worker?.once("message", resolve);
        worker?.once("error", reject);
      },
    );
    const client = createClient(Router, `127.0.0.1:${port}`);
    const prompts = makeDataset({ count: 64, seed: 11 }).map((d) => d.problem);

    let calls = 0;
    const viaRouter = async (i: number) => {
      const r = await client.solve(
        { policy: POLICY, prompt: prompts[i % prompts.length] as string, difficultyHint: 1 },
        { timeoutMs: 30_000 },
      );
      calls = r.usage?.backendCalls ?? 0;
    };
    const direct = (i: number) => directSolve(sim, prompts[i % prompts.length] as string, i);
    const chatUrl = `http://127.0.0.1:${httpPort}/v1/chat/completions`;
    const chatBody = (i: number, stream: boolean) => ({
      model: POLICY,
      messages: [{ role: "user", content: prompts[i % prompts.length] as string }],
      stream,
      mull: { difficulty_hint: 1, timeout_ms: 30_000 },
    });
    const viaHttp = async (i: number) => {
      const r = (await postJson(chatUrl, chatBody(i, false), AbortSignal.timeout(30_000))) as {
        mull?: { usage?: { backend_calls?: number } };
      };
      if (r.mull?.usage?.backend_calls !== calls)
        throw new Error("the front door answered differently");
    };
    let events = 0;
    const viaGrpcStream = async (i: number) => {
      let n = 0;
      for await (const _ of client.solveStream(
        { policy: POLICY, prompt: prompts[i % prompts.length] as string, difficultyHint: 1 },
        { timeoutMs: 30_000 },
      )) {
        n++;
      }
      events = n;
    };
    const viaHttpStream = async (i: number) => {
      const chunks = await postSse(chatUrl, chatBody(i, true));
      // The role chunk, then one chunk per engine event.
      if (chunks !== events + 1) throw new Error(`${chunks} chunks for ${events} events`);
    };

    // Warm both paths (connections, JIT) before measuring.
    for (const one of [direct, viaRouter, viaHttp, viaGrpcStream, viaHttpStream]) {
      await run(one, 100, 8, maxPhaseMs);
    }

    // Each comparison alternates its two sides in short rounds, so both see the same load from
    // whatever else runs on the machine.
    const [serialDirect, serialRouter] = await runPaired(direct, viaRouter, serial, 1, maxPhaseMs);
    const [loadDirect, loadRouter] = await runPaired(
      direct,
      viaRouter,
      requests,
      concurrency,
      maxPhaseMs,
    );
    const [serialHttp, serialGrpc] = await runPaired(viaHttp, viaRouter, serial, 1, maxPhaseMs);
    const [loadHttp, loadGrpc] = await runPaired(
      viaHttp,
      viaRouter,
      requests,
      concurrency,
      maxPhaseMs,
    );
    const [serialHttpStream, serialGrpcStream] = await runPaired(
      viaHttpStream,
      viaGrpcStream,
      serial,
      1,
      maxPhaseMs,
    );
    const [loadHttpStream, loadGrpcStream] = await runPaired(
      viaHttpStream,
      viaGrpcStream,
      requests,
      concurrency,
      maxPhaseMs,
    );
    client.close();

    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(
      `router overhead, best-of-${N} (${calls} backend calls per request), ${speed === 0 ? "instant sim backends" : `sim backends at speed ${speed}`}`,
    );
    out(
      `  concurrency 1:  router ${fmt(serialRouter.rps)} req/s, direct ${fmt(serialDirect.rps)} req/s` +
        `  (${serialRouter.count}/${serialDirect.count} requests)`,
    );
    out(
      `    added latency p50 ${ms(serialRouter.p50 - serialDirect.p50)}, p99 ${ms(serialRouter.p99 - serialDirect.p99)}` +
        `  (router p50 ${ms(serialRouter.p50)} p99 ${ms(serialRouter.p99)}; direct p50 ${ms(serialDirect.p50)} p99 ${ms(serialDirect.p99)})`,
    );
    out(
      `  concurrency ${concurrency}: router ${fmt(loadRouter.rps)} req/s, direct ${fmt(loadDirect.rps)} req/s` +
        `  (${loadRouter.count}/${loadDirect.count} requests)`,
    );
    out(
      `    added latency p50 ${ms(loadRouter.p50 - loadDirect.p50)}, p99 ${ms(loadRouter.p99 - loadDirect.p99)}`,
    );
    out(
      `  throughput ratio router ÷ direct: ${(loadRouter.rps / loadDirect.rps).toFixed(2)}` +
        ` (concurrency 1: ${(serialRouter.rps / serialDirect.rps).toFixed(2)})`,
    );
    out("OpenAI-compatible front door vs gRPC, same router (POST /v1/chat/completions vs Solve):");
    const compare = (label: string, http: Phase, grpc: Phase, c: number) =>
      out(
        `  ${label}, concurrency ${c}: http ${fmt(http.rps)} req/s, grpc ${fmt(grpc.rps)} req/s,` +
          ` ratio http ÷ grpc ${(http.rps / grpc.rps).toFixed(2)};` +
          ` p50 ${ms(http.p50)} vs ${ms(grpc.p50)}, p99 ${ms(http.p99)} vs ${ms(grpc.p99)}` +
          `  (${http.count}/${grpc.count} requests)`,
      );
    compare("unary", serialHttp, serialGrpc, 1);
    compare("unary", loadHttp, loadGrpc, concurrency);
    compare(`stream (${events} events)`, serialHttpStream, serialGrpcStream, 1);
    compare(`stream (${events} events)`, loadHttpStream, loadGrpcStream, concurrency);
    return 0;
  } finally {
    if (worker) {
      const w = worker;
      await new Promise<void>((resolve) => {
        w.once("message", () => resolve());
        w.once("exit", () => resolve());
        w.postMessage("stop");
      });
      await w.terminate();
    }
    await sim.stop();
  }
}

interface Sim {
  proposer: Pool;
  verifier: Pool;
  stop(): Promise<void>;
}

// The fleet in its own process, so its JSON work competes with neither side's client.
async function startSim(speed: number): Promise<Sim> {
  const child = spawn(
    process.execPath,
    [
      new URL("../bin/mull.ts", import.meta.url).pathname,
      "sim",
      "--bins",
      "1",
      "--speed",
      String(speed),
      "--seed",
      "1",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let text = "";
  child.stdout.setEncoding("utf8");
  const bins = await new Promise<{ proposer: Pool; verifier: Pool }[]>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      text += chunk;
      try {
        const doc = parseYaml(text) as { bins?: { proposer: Pool; verifier: Pool }[] };
        if (doc?.bins?.[0]?.verifier?.endpoints?.length) resolve(doc.bins);
      } catch {
        // not complete yet
      }
    });
    child.once("exit", (code) => reject(new Error(`mull sim exited (${code})`)));
  });
  const [bin] = bins;
  if (!bin) throw new Error("mull sim printed no bins");
  return {
    proposer: bin.proposer,
    verifier: bin.verifier,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

// The policy's formats (the defaults), as the router renders them.
const { proposer, verifier } = policyFormats(create(PolicySnapshotSchema, {}));

// What a client would do without the router: sample N, split into steps, score them all in
// one call, keep the best by last-step score.
async function directSolve(sim: Sim, problem: string, i: number): Promise<void> {
  const completions = (await post(`${sim.proposer.endpoints[0]}/v1/completions`, {
    model: sim.proposer.model,
    prompt: completionPrompt(proposer, { problem, attempts: [], steps: [] }),
    n: N,
    max_tokens: 2048,
    temperature: 0.8,
    seed: i + 1,
    include_stop_str_in_output: true,
  })) as { choices: { text: string }[] };
  const solutions = completions.choices.map((c) =>
    c.text.split(proposer.stepDelimiter).filter((s) => s.trim() !== ""),
  );
  const scored = (await post(`${sim.verifier.endpoints[0]}/pooling`, {
    model: sim.verifier.model,
    task: "token_classify",
    input: solutions.map((steps) => verifier.input(problem, steps)),
  })) as { data: { data: number[][] }[] };
  let best = -1;
  for (const item of scored.data) best = Math.max(best, item.data.at(-1)?.[1] ?? 0);
  if (best < 0) throw new Error("no scores");
}

// The same HTTP client the router uses, so the ratio measures the router and not a client library.
function post(url: string, body: unknown): Promise<unknown> {
  return postJson(url, body, AbortSignal.timeout(30_000));
}

// A stream: true request read to its [DONE], with the same keep-alive node:http client; returns
// how many data chunks came before [DONE].
const sseAgent = new http.Agent({ keepAlive: true });
function postSse(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: "POST",
        agent: sseAgent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
        signal: AbortSignal.timeout(30_000),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`HTTP ${res.statusCode}`));
          return;
        }
        let buffered = "";
        let chunks = 0;
        let done = false;
        res.setEncoding("utf8");
        res.on("data", (data: string) => {
          buffered += data;
          let end = buffered.indexOf("\n\n");
          while (end >= 0) {
            const event = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            if (event === "data: [DONE]") done = true;
            else if (event.startsWith("data: ")) chunks++;
            end = buffered.indexOf("\n\n");
          }
        });
        res.on("end", () => (done ? resolve(chunks) : reject(new Error("no [DONE]"))));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

interface Phase {
  count: number;
  rps: number;
  p50: number;
  p99: number;
}

interface Run {
  latencies: number[];
  seconds: number;
}

async function run(
  one: (i: number) => Promise<void>,
  total: number,
  concurrency: number,
  maxMs: number,
): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < total && performance.now() - started < maxMs) {
      const i = next++;
      const t0 = performance.now();
      await one(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

function summarise(runs: Run[]): Phase {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { count: latencies.length, rps: latencies.length / seconds, p50: q(0.5), p99: q(0.99) };
}

// Two sides in alternating rounds (a, b, a, b, ...), each round a share of the requests and time.
async function runPaired(
  a: (i: number) => Promise<void>,
  b: (i: number) => Promise<void>,
  total: number,
  concurrency: number,
  maxMs: number,
  rounds = 5,
): Promise<[Phase, Phase]> {
  const runsA: Run[] = [];
  const runsB: Run[] = [];
  const share = Math.max(concurrency, Math.ceil(total / rounds));
  for (let r = 0; r < rounds; r++) {
    runsA.push(await run(a, share, concurrency, maxMs / rounds));
    runsB.push(await run(b, share, concurrency, maxMs / rounds));
  }
  return [summarise(runsA), summarise(runsB)];
}

const fmt = (x: number) => x.toFixed(0);
const ms = (x: number) => `${x.toFixed(2)} ms`;

function int(raw: string | undefined, fallback: number): number {
  return raw === undefined ? fallback : Number(raw);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      requests: { type: "string" },
      concurrency: { type: "string" },
      serial: { type: "string" },
      "max-phase-ms": { type: "string" },
      speed: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
