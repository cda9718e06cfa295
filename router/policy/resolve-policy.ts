// A request's policy by name, `<policy>` or `<namespace>/<policy>`; an unknown name is NOT_FOUND
// listing what is served, so a typo is obvious from the error alone.
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { echo } from "../engine/echo.ts";
import { invalidArgument, notFound } from "../engine/errors.ts";
import type { PolicySource } from "./policy-source.ts";

// A router serving thousands of policies must not answer a typo with all their names.
const MAX_LISTED = 20;

export function resolvePolicy(policies: PolicySource, name: string): PolicySnapshot {
  // Built only for an error: the happy path is one map lookup.
  const list = () => {
    const known = policies.names();
    if (known.length === 0) return "none configured";
    const shown = known.slice(0, MAX_LISTED).map((n) => `"${n}"`);
    if (known.length > MAX_LISTED) shown.push(`and ${known.length - MAX_LISTED} more`);
    return shown.join(", ");
  };
  if (name === "") throw invalidArgument(`policy is required (known policies: ${list()})`);
  const slash = name.indexOf("/");
  // Kubernetes names hold no "/", so the split is unambiguous.
  const namespace = slash < 0 ? undefined : name.slice(0, slash);
  const policy = policies.get(slash < 0 ? name : name.slice(slash + 1));
  if (policy === undefined || (namespace !== undefined && policy.namespace !== namespace)) {
    throw notFound(`unknown policy ${echo(name)} (known policies: ${list()})`);
  }
  return policy;
}
