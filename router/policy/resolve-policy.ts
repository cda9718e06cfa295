// A request's policy by name, `<policy>` or `<namespace>/<policy>`; an unknown name is NOT_FOUND
// listing what is served, so a typo is obvious from the error alone.
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { invalidArgument, notFound } from "../engine/errors.ts";
import type { PolicySource } from "./policy-source.ts";

export function resolvePolicy(policies: PolicySource, name: string): PolicySnapshot {
  // Built only for an error: the happy path is one map lookup.
  const list = () => {
    const known = policies.names();
    return known.length > 0 ? known.map((n) => `"${n}"`).join(", ") : "none configured";
  };
  if (name === "") throw invalidArgument(`policy is required (known policies: ${list()})`);
  const slash = name.indexOf("/");
  // Kubernetes names hold no "/", so the split is unambiguous.
  const namespace = slash < 0 ? undefined : name.slice(0, slash);
  const policy = policies.get(slash < 0 ? name : name.slice(slash + 1));
  if (policy === undefined || (namespace !== undefined && policy.namespace !== namespace)) {
    throw notFound(`unknown policy "${name}" (known policies: ${list()})`);
  }
  return policy;
}
