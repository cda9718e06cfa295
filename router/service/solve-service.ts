// The router's request handling, whatever the transport: each call resolves its policy, is
// checked, waits for a slot (bounded), runs the engine with the call's deadline, and is counted
// once with its final status. gRPC (grpc/router-service.ts) and the OpenAI-compatible HTTP front
// door (http/) are thin shells over this, so both share one admission, one set of metrics and
// one engine.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import {
  type EstimateDifficultyRequest,
  type EstimateDifficultyResponse,
  type SolveEvent,
  type SolveRequest,
  SolveRequestSchema,
  type SolveResponse,
} from "../../proto/gen/mull/v1/router_pb.ts";
import type { Admission } from "../admission.ts";
import type { FleetBackends } from "../backends/fleet-backends.ts";
import type { BinTraffic } from "../bin-traffic.ts";
import type { SolveContext } from "../engine/api.ts";
import { echo } from "../engine/echo.ts";
import type { Engine } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import type { UsageCounts } from "../engine/usage.ts";
import { policyFormats } from "../formats/index.ts";
import { type RouterMetrics, strategyLabel } from "../metrics.ts";
import type { PolicySource } from "../policy/policy-source.ts";
import { resolvePolicy } from "../policy/resolve-policy.ts";
import {
  type CallLifetime,
  clientCancelled,
  DEFAULT_DEADLINE,
  type DeadlineOptions,
  requestDeadline,
} from "./deadline.ts";

// What the service needs of the engine. validate runs before a request takes a slot: a bad
// request is answered INVALID_ARGUMENT even when the router is full, rather than
// RESOURCE_EXHAUSTED (which would invite a retry).
export type RouterEngine = Pick<Engine, "solve" | "estimateDifficulty" | "validate">;

export interface SolveServiceDeps {
  policies: PolicySource;
  backends: FleetBackends;
  engine: RouterEngine;
  admission: Admission;
  metrics?: RouterMetrics;
  deadline?: DeadlineOptions;
  // Per-bin traffic: demand reports, the queue step-down, waiting for a bin scaled to zero.
  traffic?: BinTraffic;
  // Unexpected (INTERNAL) errors go here with their stack.
  logError?: (message: string, error: unknown) => void;
}

export interface SolveService {
  solve(request: SolveRequest, call: CallLifetime): Promise<SolveResponse>;
  // Sends the engine's events as they happen; the last one carries the final response, which
  // is also returned. onAdmitted runs once the request holds a slot (the request id is set by
  // then): a transport that must commit to success before the first event (HTTP's 200) waits
  // for it, so earlier refusals still get their own status.
  solveStream(
    request: SolveRequest,
    call: CallLifetime,
    send: (event: SolveEvent) => void,
    onAdmitted?: () => void,
  ): Promise<SolveResponse>;
  estimateDifficulty(
    request: EstimateDifficultyRequest,
    call: CallLifetime,
  ): Promise<EstimateDifficultyResponse>;
  readonly policies: PolicySource;
}

export function solveService(deps: SolveServiceDeps): SolveService {
  return {
    policies: deps.policies,

    solve: (request, call) =>
      handle(deps, request, call, async (context, policy) => {
        const response = await deps.engine.solve(request, context);
        recordSolved(deps, policy, response);
        return response;
      }),

    solveStream: (request, call, send, onAdmitted) =>
      handle(deps, request, call, async (context, policy) => {
        onAdmitted?.();
        // The engine's own events end with the final response, sent once.
        const response = await deps.engine.solve(request, {
          ...context,
          onEvent: (event) => {
            context.onEvent?.(event);
            send(event);
          },
        });
        recordSolved(deps, policy, response);
        return response;
      }),

    estimateDifficulty: (request, call) => {
      const asSolve = create(SolveRequestSchema, {
        policy: request.policy,
        prompt: request.prompt,
        requestId: request.requestId,
      });
      // Not demand: an estimate runs only the probe.
      return handle(
        deps,
        asSolve,
        call,
        (context) => deps.engine.estimateDifficulty(asSolve, context),
        false,
      );
    },
  };
}

type Answer = {
  config?: { strategy: number } | undefined;
  usage?: SolveResponse["usage"];
};

async function handle<T extends Answer>(
  deps: SolveServiceDeps,
  request: SolveRequest,
  call: CallLifetime,
  run: (context: SolveContext, policy: PolicySnapshot) => Promise<T>,
  isDemand = true,
): Promise<T> {
  const started = performance.now();
  const deadline = requestDeadline(call, deps.deadline ?? DEFAULT_DEADLINE);
  const { metrics, admission } = deps;
  let policyLabel = "unknown";
  let strategy = strategyLabel(request.strategy);
  let code = "OK";
  try {
    const policy = resolvePolicy(deps.policies, request.policy);
    policyLabel = policy.name;
    deps.engine.validate(request, policy);
    if (request.requestId === "") request.requestId = randomUUID();

    const queuedAt = performance.now();
    const release = await admission.acquire(deadline.signal);
    let queueWaitSeconds = (performance.now() - queuedAt) / 1000;
    metrics?.queueWait.observe(queueWaitSeconds);
    updateGauges(deps);
    const traffic = isDemand ? deps.traffic : undefined;
    let inBin: number | undefined;
    try {
      const formats = policyFormats(policy);
      let backendsFor = deps.backends.forRequest(policy, formats);
      const result = await run(
        {
          policy,
          stepDelimiter: formats.proposer.stepDelimiter,
          backendsFor: (bin) => backendsFor(bin),
          signal: deadline.signal,
          remainingMs: deadline.remainingMs,
          ...(traffic
            ? {
                stepDown: (bin: number) => traffic.stepDown(policy, bin),
                ready: async (bin: number) => {
                  const waitStarted = performance.now();
                  let fresh: PolicySnapshot;
                  try {
                    fresh = await traffic.ready(policy, bin, deadline.signal);
                  } finally {
                    // A wait that ended in UNAVAILABLE was still waited (mull_bin_queue_wait_seconds).
                    queueWaitSeconds += (performance.now() - waitStarted) / 1000;
                  }
                  // The bin's first replicas may have come with a newer snapshot.
                  if (fresh !== policy) backendsFor = deps.backends.forRequest(fresh, formats);
                },
                onEvent: (event: SolveEvent) => {
                  if (event.event.case !== "difficulty" || inBin !== undefined) return;
                  const d = event.event.value;
                  inBin = d.bin;
                  traffic.entered(policy, d.bin, d.budgetLevel, d.steppedDown);
                  if (d.steppedDown) metrics?.stepDowns.inc({ policy: policy.name, bin: d.bin });
                },
              }
            : {}),
        },
        policy,
      );
      if (result.config) strategy = strategyLabel(result.config.strategy);
      if (traffic && inBin !== undefined) {
        observeBinWait(deps, policy, inBin, queueWaitSeconds);
        const u = result.usage;
        traffic.finished(policy, inBin, {
          proposerTokens: Number(
            (u?.proposerPromptTokens ?? 0n) + (u?.proposerCompletionTokens ?? 0n),
          ),
          verifierTokens: Number(u?.verifierTokens ?? 0n),
          queueWaitSeconds,
        });
        inBin = undefined;
      }
      // A best-so-far answer to a client that has gone is not an answer: it is counted as
      // cancelled (its tokens are still counted, by recordSolved).
      if (clientCancelled(deadline.signal)) code = "CANCELLED";
      return result;
    } catch (error) {
      // What a failed search had spent is still the fleet's work: count it like a solved one's.
      if (error instanceof EngineError && error.usage) {
        recordUsage(
          deps,
          policy,
          String(inBin ?? request.difficultyHint ?? 0),
          strategy,
          error.usage,
        );
      }
      if (traffic && inBin !== undefined) {
        observeBinWait(deps, policy, inBin, queueWaitSeconds);
        traffic.failed(policy, inBin);
      }
      throw error;
    } finally {
      release();
      updateGauges(deps);
    }
  } catch (error) {
    code = errorCode(error);
    if (code === "INTERNAL") {
      deps.logError?.(`request ${echo(request.requestId)}: ${(error as Error)?.message}`, error);
    }
    throw error;
  } finally {
    deadline.dispose();
    metrics?.requests.inc({ policy: policyLabel, strategy, code });
    metrics?.duration.observe({ policy: policyLabel, code }, (performance.now() - started) / 1000);
  }
}

// The status name ("NOT_FOUND", ...) of an error: EngineErrors carry it; anything else is a bug.
function errorCode(error: unknown): EngineError["code"] {
  return error instanceof EngineError ? error.code : "INTERNAL";
}

function observeBinWait(
  deps: SolveServiceDeps,
  policy: PolicySnapshot,
  bin: number,
  seconds: number,
): void {
  deps.metrics?.binQueueWait.observe({ policy: policy.name, bin: String(bin) }, seconds);
}

function updateGauges(deps: SolveServiceDeps): void {
  deps.metrics?.inFlight.set(deps.admission.inFlight);
  deps.metrics?.queued.set(deps.admission.queued);
}

function recordSolved(deps: SolveServiceDeps, policy: PolicySnapshot, r: SolveResponse): void {
  const m = deps.metrics;
  if (m === undefined) return;
  const bin = String(r.bin);
  const strategy = strategyLabel(r.config?.strategy ?? 0);
  m.bin.inc({ policy: policy.name, bin });
  if (r.stoppedEarly) m.earlyStops.inc({ policy: policy.name, bin });
  if (r.partial) m.partials.inc({ policy: policy.name, bin });
  const usage = r.usage;
  if (usage === undefined) return;
  recordUsage(deps, policy, bin, strategy, {
    generations: usage.generations,
    proposerPromptTokens: Number(usage.proposerPromptTokens),
    proposerCompletionTokens: Number(usage.proposerCompletionTokens),
    verifierTokens: Number(usage.verifierTokens),
  });
}

function recordUsage(
  deps: SolveServiceDeps,
  policy: PolicySnapshot,
  bin: string,
  strategy: string,
  usage: Omit<UsageCounts, "backendCalls">,
): void {
  const m = deps.metrics;
  if (m === undefined) return;
  m.generations.inc({ policy: policy.name, bin, strategy }, usage.generations);
  m.tokens.inc(
    { policy: policy.name, bin, role: "proposer" },
    usage.proposerPromptTokens + usage.proposerCompletionTokens,
  );
  m.tokens.inc({ policy: policy.name, bin, role: "verifier" }, usage.verifierTokens);
}
