// The prompt templates a policy implies: the defaults, with the verifier's step separator taken
// from the policy (it depends on the PRM the policy serves).
import type { PolicySnapshot } from "../../proto/gen/mull/v1/fleet_pb.ts";
import { DEFAULT_TEMPLATES, type PromptTemplates } from "../engine/prompts.ts";

export function templatesFor(policy: PolicySnapshot): PromptTemplates {
  return policy.stepSeparator === ""
    ? DEFAULT_TEMPLATES
    : { ...DEFAULT_TEMPLATES, stepSeparator: policy.stepSeparator };
}
