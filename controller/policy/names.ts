// API group, kind and the word lists the CRD enums use. Strategy, aggregation and estimator names
// come from the proto enums (their one source of truth), never from a copied list.
import { Estimator } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { Aggregation, Strategy } from "../../proto/gen/mull/v1/router_pb.ts";

export const group = "mull.dev";
export const version = "v1alpha1";
export const apiVersion = `${group}/${version}`;
export const kind = "TestTimePolicy";
export const plural = "testtimepolicies";
export const singular = "testtimepolicy";
export const shortNames = ["ttp"];
export const categories = ["mull"];

/** The proto enum's names without its zero `*_UNSPECIFIED` value. */
function names(e: Record<string, number>): string[] {
  return Object.entries(e)
    .filter(([, v]) => v !== 0)
    .sort(([, a], [, b]) => a - b)
    .map(([k]) => k);
}

export const strategyNames: readonly string[] = names(Strategy);
export const aggregationNames: readonly string[] = names(Aggregation);
export const estimatorNames: readonly string[] = names(Estimator);
/** How the router reaches the proposer; router/formats registers the same names (a test keeps them equal). */
export const promptFormatNames = ["completion", "chat"] as const;
/** The PRM input formats; router/formats/index.ts registers the same names (a test keeps them equal). */
export const verifierFormatNames = ["qwen2.5-math-prm", "math-shepherd", "custom"] as const;
export const scalingModes = ["planner", "manual", "external"] as const;
export const roles = ["proposer", "verifier"] as const;
export type Role = (typeof roles)[number];

/** Strategies that need a beam width (and, therefore, one that divides their generations). */
export const beamStrategies: readonly string[] = ["beam", "dvts"].filter((s) => {
  if (!strategyNames.includes(s)) throw new Error(`proto Strategy has no ${s}`);
  return true;
});

/** The alert webhook's senders, the actions its mull_action label names, and what became of an alert. */
export const alertSources = ["alertmanager", "grafana"] as const;
export const alertActions = ["scale_up", "scale_down", "budget_down", "budget_up"] as const;
export const alertResults = [
  "applied",
  "clamped",
  "duplicate",
  "cooldown",
  "resolved",
  "expired",
  "ignored",
  "invalid",
  "unknown_policy",
  "unknown_bin",
  "refused_external",
  "disabled",
] as const;
