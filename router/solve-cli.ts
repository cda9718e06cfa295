// `mull solve`: send one prompt to a router and print the answer (or every stream event).

import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import type { ServiceError } from "@grpc/grpc-js";
import {
  Router,
  SolveEventSchema,
  type SolveResponse,
  SolveResponseSchema,
  type Strategy,
  StrategySchema,
} from "../proto/gen/mull/v1/router_pb.ts";
import { createClient } from "./grpc/adapter.ts";
import { statusName } from "./grpc/status.ts";

const strategies = StrategySchema.values.filter((v) => v.number !== 0).map((v) => v.name);

const USAGE = `usage: mull solve --policy NAME --prompt TEXT [options]

Sends one Solve request to a Mull router and prints the answer.

options:
  --addr HOST:PORT     router address (default 127.0.0.1:50051)
  --policy NAME        TestTimePolicy to solve under (required)
  --prompt TEXT        the problem (required; "-" reads it from stdin)
  --budget N           most proposer generations (default: the policy's)
  --hint B             difficulty bin 1..bins, skipping the probe
  --strategy S         force a strategy: ${strategies.join(", ")}
  --timeout-ms N       deadline for the call (default 120000)
  --candidates         also return every scored candidate
  --stream             print progress events as they arrive (SolveStream)
  --json               print protobuf JSON instead of a summary
  -h, --help           this text
`;

export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    process.stderr.write(`mull solve: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (values.policy === undefined) problems.push("--policy is required");
  if (values.prompt === undefined) problems.push("--prompt is required");
  const budget = optionalInt(values.budget, "--budget", problems);
  const hint = optionalInt(values.hint, "--hint", problems);
  const timeoutMs = optionalInt(values["timeout-ms"], "--timeout-ms", problems) ?? 120_000;
  let strategy: Strategy = 0;
  if (values.strategy !== undefined) {
    const found = StrategySchema.values.find((v) => v.name === values.strategy && v.number !== 0);
    if (found) strategy = found.number as Strategy;
    else problems.push(`--strategy must be one of ${strategies.join(", ")}`);
  }
  if (problems.length > 0) {
    process.stderr.write(`mull solve: ${problems.join("; ")}\n\n${USAGE}`);
    return 2;
  }
  const prompt =
    values.prompt === "-" ? await new Response(process.stdin as never).text() : values.prompt;
  const request = {
    policy: values.policy as string,
    prompt: prompt as string,
    strategy,
    includeCandidates: values.candidates ?? false,
    ...(budget !== undefined ? { budget: { maxGenerations: budget } } : {}),
    ...(hint !== undefined ? { difficultyHint: hint } : {}),
  };

  const client = createClient(Router, values.addr ?? "127.0.0.1:50051");
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (values.stream) {
      for await (const event of client.solveStream(request, { timeoutMs })) {
        if (values.json) out(JSON.stringify(toJson(SolveEventSchema, event)));
        else if (event.event.case === "final") summarise(event.event.value, out);
        else out(`${event.event.case}: ${JSON.stringify(toJson(SolveEventSchema, event))}`);
      }
    } else {
      const response = await client.solve(request, { timeoutMs });
      if (values.json) out(JSON.stringify(toJson(SolveResponseSchema, response), null, 2));
      else summarise(response, out);
    }
    return 0;
  } catch (error) {
    const e = error as Partial<ServiceError>;
    const code = typeof e.code === "number" ? statusName(e.code) : "ERROR";
    process.stderr.write(`mull solve: ${code}: ${e.details ?? e.message}\n`);
    return 1;
  } finally {
    client.close();
  }
}

function summarise(r: SolveResponse, out: (line: string) => void): void {
  const strategy = StrategySchema.values.find((v) => v.number === r.config?.strategy)?.name;
  out(`answer: ${r.answer}`);
  out(
    `bin ${r.bin} (probe score ${r.difficultyScore.toFixed(3)}), ${strategy ?? "?"} with ` +
      `${r.config?.generations ?? 0} generations, level ${r.budgetLevel}, score ${r.score.toFixed(3)}` +
      (r.partial ? ", partial (deadline or token bound)" : "") +
      (r.stoppedEarly ? ", stopped early" : ""),
  );
  const u = r.usage;
  if (u) {
    out(
      `usage: ${u.generations} generations, ${u.proposerPromptTokens}+${u.proposerCompletionTokens} ` +
        `proposer tokens, ${u.verifierTokens} verifier tokens, ${u.backendCalls} backend calls`,
    );
  }
  out(`request ${r.requestId}`);
}

function optionalInt(
  raw: string | undefined,
  flag: string,
  problems: string[],
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    problems.push(`${flag} must be a non-negative integer, got "${raw}"`);
    return undefined;
  }
  return n;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      addr: { type: "string" },
      policy: { type: "string" },
      prompt: { type: "string" },
      budget: { type: "string" },
      hint: { type: "string" },
      strategy: { type: "string" },
      "timeout-ms": { type: "string" },
      candidates: { type: "boolean" },
      stream: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
