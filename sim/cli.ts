// `mull sim`: serve a simulated fleet until SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { speedConfig } from "./batch-scheduler.ts";
import { DEFAULT_MAX_MODEL_LEN } from "./context-limit.ts";
import { startFleet } from "./fleet.ts";
import { BUILTIN_FORMATS, resolveFormats, type SimFormatData } from "./format.ts";
import { modelConfig } from "./model-config.ts";
import {
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_PROPOSER_MODEL,
  DEFAULT_VERIFIER_MODEL,
} from "./server.ts";

const HELP = `usage: mull sim [options]

Serves a simulated vLLM fleet: for each difficulty bin, R proposer replicas (POST /v1/completions)
and R PRM verifier replicas (POST /pooling), each on its own port, plus /health, /v1/models and
/metrics. Prints the pool endpoints as YAML when up; SIGTERM or SIGINT stops it.

options:
  --bins N              difficulty bins (default 5)
  --replicas R          replicas per role per bin (default 1)
  --host H              listen address (default 127.0.0.1)
  --base-port P         first port, replicas take consecutive ports; 0 = free ports (default 0)
  --speed S             throughput relative to a 1B model on one GPU (4000 tok/s per replica,
                        120 tok/s per sequence); 0 = instant, no simulated latency (default 1)
  --max-running N       sequences decoding at once per replica; more wait (default 64)
  --seed N              make requests without a seed reproducible (default: random)
  --separation X        PRM logit gap between correct and wrong steps (default ${modelConfig().separation})
  --error-rate X        fraction of requests each replica fails with a 500 (default 0)
  --api-key K           require "Authorization: Bearer K" on /v1 paths, like vLLM's --api-key
  --keep-alive-timeout-ms N
                        close idle keep-alive connections after N ms, like uvicorn (default ${DEFAULT_KEEP_ALIVE_TIMEOUT_MS})
  --max-model-len N     context limit in tokens: prompt + max_tokens above it is vLLM's 400, and
                        /v1/models reports it (default ${DEFAULT_MAX_MODEL_LEN})
  --proposer-model M    served proposer model name (default ${DEFAULT_PROPOSER_MODEL})
  --verifier-model M    served verifier model name (default ${DEFAULT_VERIFIER_MODEL})
  --format F            a prompt and PRM format the models understand: a built-in name
                        (${Object.keys(BUILTIN_FORMATS).join(", ")}) or a YAML file with the
                        fields of sim/format.ts; repeat for several, tried in order (default mull)
  -h, --help            this help
`;

function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${value}"`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        bins: { type: "string" },
        replicas: { type: "string" },
        host: { type: "string" },
        "base-port": { type: "string" },
        speed: { type: "string" },
        "max-running": { type: "string" },
        seed: { type: "string" },
        separation: { type: "string" },
        "error-rate": { type: "string" },
        "api-key": { type: "string" },
        "keep-alive-timeout-ms": { type: "string" },
        "max-model-len": { type: "string" },
        "proposer-model": { type: "string" },
        "verifier-model": { type: "string" },
        format: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`mull sim: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const str = (k: string) => values[k] as string | undefined;
  try {
    const config = modelConfig(
      str("separation") === undefined
        ? {}
        : { separation: num(str("separation"), "separation", 0) },
    );
    const formatNames = (values.format as string[] | undefined) ?? [];
    const formats = resolveFormats(
      formatNames,
      (path) => parse(readFileSync(path, "utf8")) as SimFormatData,
    );
    const seed = str("seed");
    const fleet = await startFleet({
      bins: num(str("bins"), "bins", 5),
      replicas: num(str("replicas"), "replicas", 1),
      host: str("host") ?? "127.0.0.1",
      basePort: num(str("base-port"), "base-port", 0),
      speed: speedConfig(num(str("speed"), "speed", 1), {
        maxRunning: num(str("max-running"), "max-running", 64),
      }),
      seed: seed === undefined ? undefined : num(seed, "seed", 0),
      config,
      errorRate: num(str("error-rate"), "error-rate", 0),
      apiKey: str("api-key"),
      keepAliveTimeoutMs: num(
        str("keep-alive-timeout-ms"),
        "keep-alive-timeout-ms",
        DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      ),
      maxModelLen: num(str("max-model-len"), "max-model-len", DEFAULT_MAX_MODEL_LEN),
      proposerModel: str("proposer-model"),
      verifierModel: str("verifier-model"),
      ...(formats.length > 0 ? { formats } : {}),
    });
    process.stdout.write(stringify({ bins: fleet.bins }));
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
    await fleet.stop();
    return 0;
  } catch (error) {
    process.stderr.write(`mull sim: ${(error as Error).message}\n`);
    return 1;
  }
}
