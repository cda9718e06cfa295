// Names and labels of everything the operator makes for a policy. One place, so the informers'
// label selectors, the pruning logic and the objects themselves always agree.
import type { Role } from "../policy/names.ts";

export const fieldManager = "mull-operator";
export const managedBy = "mull-operator";
export const specHashAnnotation = "mull.dev/spec-hash";
export const policyLabel = "mull.dev/policy";
export const binLabel = "mull.dev/bin";
export const roleLabel = "mull.dev/role";
/** Selects every object this operator manages (the informers watch exactly these). */
export const managedSelector = `app.kubernetes.io/managed-by=${managedBy}`;
export const servingPort = 8000;

export function poolName(policy: string, bin: number, role: Role): string {
  return `${policy}-b${bin}-${role}`;
}

export function routerConfigName(policy: string): string {
  return `${policy}-router`;
}

/** Labels that pick one pool's pods: stable forever, since a Deployment selector is immutable. */
export function selectorLabels(policy: string, bin: number, role: Role): Record<string, string> {
  return { [policyLabel]: policy, [binLabel]: String(bin), [roleLabel]: role };
}

export function poolLabels(policy: string, bin: number, role: Role): Record<string, string> {
  return {
    "app.kubernetes.io/name": "vllm",
    "app.kubernetes.io/instance": policy,
    "app.kubernetes.io/component": role,
    "app.kubernetes.io/part-of": "mull",
    "app.kubernetes.io/managed-by": managedBy,
    ...selectorLabels(policy, bin, role),
  };
}

export function routerConfigLabels(policy: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "mull-router-config",
    "app.kubernetes.io/instance": policy,
    "app.kubernetes.io/component": "router-config",
    "app.kubernetes.io/part-of": "mull",
    "app.kubernetes.io/managed-by": managedBy,
    [policyLabel]: policy,
  };
}

export function endpoint(policy: string, namespace: string, bin: number, role: Role): string {
  return `http://${poolName(policy, bin, role)}.${namespace}.svc:${servingPort}`;
}

/**
 * Where the router reads a pool's API key: the Secret mounted as a directory, one file per key.
 * The chart's router Deployment mounts router.apiKeySecrets under the same root
 * (charts/mull/templates/router-deployment.yaml).
 */
export const apiKeyRoot = "/var/run/secrets/mull/api-keys";

export function apiKeyFile(secret: { name: string; key: string }): string {
  return `${apiKeyRoot}/${secret.name}/${secret.key}`;
}
