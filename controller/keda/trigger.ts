// What a KEDA ScaledObject's `external` trigger asks for: the pool named by its metadata
// (`policy`, `bin`, `role`), and the metric name that pool is known by. Checked on every call, as
// KEDA's own sample scalers do, because KEDA sends the metadata with each request.
import { type Role, roles } from "../policy/names.ts";

/** The pool a trigger scales. */
export interface PoolRef {
  namespace: string;
  policy: string;
  bin: number;
  role: Role;
}

/** What KEDA sends (externalscaler.ScaledObjectRef), reduced to what the scaler reads. */
export interface ScaledObjectInput {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}

export type ScalerFailure = {
  ok: false;
  code: "INVALID_ARGUMENT" | "NOT_FOUND" | "FAILED_PRECONDITION";
  message: string;
};

export const metadataKeys = {
  policy: "policy",
  bin: "bin",
  role: "role",
} as const;

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const invalid = (message: string): ScalerFailure => ({
  ok: false,
  code: "INVALID_ARGUMENT",
  message,
});

/**
 * The pool a trigger names. `policy` is `name` (in the ScaledObject's namespace) or
 * `namespace/name`; `bin` a bin number; `role` proposer or verifier. Other keys (KEDA adds its
 * own, e.g. scalerAddress) are ignored.
 */
export function parseTrigger(ref: ScaledObjectInput): { ok: true; pool: PoolRef } | ScalerFailure {
  const m = ref.scalerMetadata;
  const missing = Object.values(metadataKeys).filter((k) => (m[k] ?? "").trim() === "");
  if (missing.length > 0) {
    return invalid(
      `trigger metadata lacks ${missing.map((k) => `"${k}"`).join(", ")} (needs policy, bin and role)`,
    );
  }
  const policyValue = (m.policy as string).trim();
  const parts = policyValue.split("/");
  if (parts.length > 2) {
    return invalid(
      `trigger metadata "policy" must be "name" or "namespace/name", got "${policyValue}"`,
    );
  }
  const [namespace, policy] = parts.length === 2 ? parts : [ref.namespace, parts[0]];
  if (!namespace || !dnsLabel.test(namespace)) {
    return invalid(
      parts.length === 2
        ? `trigger metadata "policy" has a bad namespace "${namespace}"`
        : `trigger metadata "policy" has no namespace and the ScaledObject's is "${namespace}"`,
    );
  }
  if (!policy || !dnsSubdomain.test(policy)) {
    return invalid(`trigger metadata "policy" has a bad name "${policy}"`);
  }
  const binValue = (m.bin as string).trim();
  if (!/^\d{1,6}$/.test(binValue)) {
    return invalid(`trigger metadata "bin" must be a bin number, got "${binValue}"`);
  }
  const roleValue = (m.role as string).trim();
  if (!(roles as readonly string[]).includes(roleValue)) {
    return invalid(
      `trigger metadata "role" must be one of ${roles.join(", ")}, got "${roleValue}"`,
    );
  }
  return {
    ok: true,
    pool: { namespace, policy, bin: Number(binValue), role: roleValue as Role },
  };
}

/**
 * The metric a pool is known by: deterministic, so KEDA's GetMetricSpec and GetMetrics agree,
 * and readable in the HPA KEDA makes (KEDA prefixes it with `s<trigger index>-`).
 */
export function metricName(pool: PoolRef): string {
  return `mull-${pool.namespace}-${pool.policy}-b${pool.bin}-${pool.role}`;
}
