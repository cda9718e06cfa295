// A request's policy by name; an unknown name is NOT_FOUND listing what is served, so a typo is
// obvious from the error alone.
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
  const policy = policies.get(name);
  if (policy === undefined) throw notFound(`unknown policy "${name}" (known policies: ${list()})`);
  return policy;
}
