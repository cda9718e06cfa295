// `mull calibrate --apply`: policy-patch.yaml sent as a server-side apply by the API client, field
// manager mull-calibrate, forced (the calibrated table replaces whoever wrote the old one).
//
// Not through `kubectl apply --server-side`: on a policy created by a plain (client-side)
// `kubectl apply`, kubectl then migrates every field the user's client-side apply owned to the
// new field manager (kubectl's migrateToSSAIfNecessary), so mull-calibrate would own the models,
// budget and pool bounds too, and the next calibration's patch, which omits them, would remove
// them (the API server refuses that: spec.proposer is required). A plain apply patch does no
// migration: the user keeps their fields, and re-calibrating replaces only calibration's.
import {
  ApiException,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import type { TestTimePolicy } from "../controller/policy/types.ts";
import { FIELD_MANAGER, type PolicyPatch } from "./patch.ts";

export interface ApplyOptions {
  // The policy's namespace when the patch names none.
  namespace?: string;
  dryRun?: boolean;
}

// The policy as the API server stored it (or would have, on a dry run).
export async function applyPolicyPatch(
  kubeConfig: KubeConfig,
  patch: PolicyPatch,
  options: ApplyOptions = {},
): Promise<TestTimePolicy> {
  const namespace = patch.metadata.namespace ?? options.namespace;
  if (!namespace) throw new Error("--apply: the policy's namespace is not known");
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  try {
    return (await client.patch(
      { ...patch, metadata: { ...patch.metadata, namespace } },
      undefined,
      options.dryRun ? "All" : undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    )) as unknown as TestTimePolicy;
  } catch (error) {
    throw new Error(`--apply ${namespace}/${patch.metadata.name}: ${apiMessage(error)}`);
  }
}

// The API server's own words (which field, which rule), not the client's wrapping.
function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    try {
      const status = JSON.parse(text) as { message?: string };
      if (status.message) return status.message;
    } catch {}
    return `HTTP ${error.code}: ${text}`;
  }
  return (error as Error).message;
}
