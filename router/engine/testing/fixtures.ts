// Policies, requests and contexts for engine tests.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  BinSnapshotSchema,
  Estimator,
  type PolicySnapshot,
  PolicySnapshotSchema,
} from "../../../proto/gen/mull/v1/fleet_pb.ts";
import {
  Aggregation,
  type SolveEvent,
  type SolveRequest,
  SolveRequestSchema,
  Strategy,
  type StrategyConfig,
  StrategyConfigSchema,
} from "../../../proto/gen/mull/v1/router_pb.ts";
import { DEFAULT_PROMPT } from "../../formats/prompt.ts";
import type { BinBackends, SolveContext } from "../api.ts";
import type { StrategyName } from "../table.ts";
import type { FakeClock } from "./fake-backends.ts";

export function level(
  strategy: StrategyName,
  generations: number,
  extra: Partial<Omit<StrategyConfig, "strategy" | "generations" | "$typeName">> = {},
): StrategyConfig {
  return create(StrategyConfigSchema, { strategy: Strategy[strategy], generations, ...extra });
}

// Three bins: easy → revision, medium → best-of-N, hard → beam; levels at 4, 16 and 64.
export function makePolicy(
  init: MessageInitShape<typeof PolicySnapshotSchema> = {},
): PolicySnapshot {
  const levels = (s: StrategyName, extra = {}) => [4, 16, 64].map((g) => level(s, g, extra));
  return create(PolicySnapshotSchema, {
    name: "math",
    namespace: "default",
    bins: 3,
    estimator: Estimator.probe,
    probeSamples: 4,
    thresholds: [0.4, 0.7],
    defaultGenerations: 16,
    maxGenerations: 64,
    aggregation: Aggregation.last,
    stepSeparator: "<extra_0>",
    binTable: [
      create(BinSnapshotSchema, { bin: 1, levels: levels("revision", { sequentialRatio: 0.25 }) }),
      create(BinSnapshotSchema, { bin: 2, levels: levels("bestOfN") }),
      create(BinSnapshotSchema, { bin: 3, levels: levels("beam", { beamWidth: 4, maxSteps: 10 }) }),
    ],
    ...init,
  });
}

export function makeRequest(init: MessageInitShape<typeof SolveRequestSchema> = {}): SolveRequest {
  return create(SolveRequestSchema, {
    policy: "math",
    prompt: "What is 1/2?",
    requestId: "req-1",
    ...init,
  });
}

export interface TestContext extends SolveContext {
  events: SolveEvent[];
  binsAsked: number[];
}

export function makeContext(
  backends: BinBackends,
  options: {
    policy?: PolicySnapshot;
    signal?: AbortSignal;
    clock?: FakeClock;
    deadlineMs?: number;
  } = {},
): TestContext {
  const events: SolveEvent[] = [];
  const binsAsked: number[] = [];
  const { clock, deadlineMs } = options;
  return {
    policy: options.policy ?? makePolicy(),
    backendsFor: (bin) => {
      binsAsked.push(bin);
      return backends;
    },
    stepDelimiter: DEFAULT_PROMPT.stepDelimiter,
    signal: options.signal ?? new AbortController().signal,
    remainingMs: () =>
      clock && deadlineMs !== undefined ? deadlineMs - clock.now : Number.POSITIVE_INFINITY,
    onEvent: (e) => events.push(e),
    events,
    binsAsked,
  };
}
