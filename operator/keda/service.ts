// KEDA's externalscaler.ExternalScaler over the operator's policy cache: a thin shell around the
// pure controller/keda (which pool a trigger names, what the planner wants for it). Every
// operator replica answers (the cache holds status.planner, which the leader writes), so the
// Service may select them all.

import { create } from "@bufbuild/protobuf";
import {
  desiredForPool,
  type PoolAnswer,
  targetPerReplica,
} from "../../controller/keda/desired.ts";
import {
  parseTrigger,
  type ScaledObjectInput,
  type ScalerFailure,
} from "../../controller/keda/trigger.ts";
import type { TestTimePolicy } from "../../controller/policy/types.ts";
import {
  type ExternalScaler,
  GetMetricSpecResponseSchema,
  GetMetricsResponseSchema,
  IsActiveResponseSchema,
} from "../../proto/gen/externalscaler/externalscaler_pb.ts";
import { EngineError } from "../../router/engine/errors.ts";
import type { ServerCall, ServiceImpl } from "../../router/grpc/adapter.ts";

/** Where the scaler reads policies: the operator's informer cache. */
export interface PolicyLookup {
  policy(namespace: string, name: string): TestTimePolicy | undefined;
}

export interface ScalerOptions {
  policies: PolicyLookup;
  /** How often a StreamIsActive call re-reads the cache, to push a change of activity. */
  streamCheckMs: number;
  /** Counts each call by method and status code. */
  onCall?: (method: string, code: string) => void;
}

function orThrow<T extends { ok: true }>(result: T | ScalerFailure): T {
  if (!result.ok) throw new EngineError(result.code, result.message);
  return result;
}

function untilCancelled(call: ServerCall): Promise<void> {
  return new Promise((resolve) => {
    if (call.cancelled) return resolve();
    call.on("cancelled", () => resolve());
  });
}

export function externalScalerService(o: ScalerOptions): ServiceImpl<typeof ExternalScaler> {
  const answer = (ref: ScaledObjectInput | undefined): PoolAnswer => {
    if (!ref) throw new EngineError("INVALID_ARGUMENT", "request has no scaledObjectRef");
    const { pool } = orThrow(parseTrigger(ref));
    return orThrow(desiredForPool(o.policies.policy(pool.namespace, pool.policy), pool));
  };
  const counted =
    <A extends unknown[], R>(method: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const r = await fn(...args);
        o.onCall?.(method, "OK");
        return r;
      } catch (error) {
        o.onCall?.(method, error instanceof EngineError ? error.code : "INTERNAL");
        throw error;
      }
    };
  return {
    isActive: counted("IsActive", async (ref) => activity(answer(ref).active)),
    streamIsActive: counted("StreamIsActive", async (ref, call, send) => {
      // KEDA's push mode: the current activity at once, then each change until KEDA hangs up.
      let last = answer(ref).active;
      send(activity(last));
      const done = untilCancelled(call);
      let timer: NodeJS.Timeout | undefined;
      try {
        while (!call.cancelled) {
          const tick = new Promise<void>((r) => {
            timer = setTimeout(r, o.streamCheckMs);
          });
          await Promise.race([tick, done]);
          if (call.cancelled) break;
          const now = answer(ref).active;
          if (now !== last) send(activity(now));
          last = now;
        }
      } finally {
        clearTimeout(timer);
      }
    }),
    getMetricSpec: counted("GetMetricSpec", async (ref) => {
      const a = answer(ref);
      return metricSpecs(a.metricName);
    }),
    // The target never changes, so the pushed spec is sent once and the stream held open: KEDA
    // then never needs to fall back to GetMetricSpec.
    streamMetricSpec: counted("StreamMetricSpec", async (ref, call, send) => {
      const a = answer(ref);
      send(metricSpecs(a.metricName));
      await untilCancelled(call);
    }),
    getMetrics: counted("GetMetrics", async (request) => {
      const a = answer(request.scaledObjectRef);
      if (request.metricName !== "" && request.metricName !== a.metricName) {
        throw new EngineError(
          "INVALID_ARGUMENT",
          `metricName "${request.metricName}" is not this trigger's ("${a.metricName}")`,
        );
      }
      return create(GetMetricsResponseSchema, {
        metricValues: [
          {
            metricName: a.metricName,
            // KEDA reads the float when it is above 0, else the integer (0 replicas).
            metricValue: BigInt(a.metricValue),
            metricValueFloat: a.metricValue,
          },
        ],
      });
    }),
  };
}

const activity = (result: boolean) => create(IsActiveResponseSchema, { result });

const metricSpecs = (metricName: string) =>
  create(GetMetricSpecResponseSchema, {
    metricSpecs: [
      {
        metricName,
        targetSize: BigInt(targetPerReplica),
        targetSizeFloat: targetPerReplica,
      },
    ],
  });
