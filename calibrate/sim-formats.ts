// A policy's formats written to match one of the sim's formats: the sim's format data uses a
// policy's own field names, so the match is a copy of the fields, never a shared template. Tests,
// the demo and the benchmarks use it to configure the router for the sim they start (or, to
// show what a mismatch costs, for another one).
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PolicySnapshotSchema, VerifierFormatSchema } from "../proto/gen/mull/v1/fleet_pb.ts";
import type { SimFormatData } from "../sim/format.ts";

type PolicyInit = MessageInitShape<typeof PolicySnapshotSchema>;

export function matchingPolicyFormats(
  sim: SimFormatData,
  mode: "completion" | "chat" = "completion",
  // A built-in verifier format the sim's PRM data is meant to be (e.g. qwen2.5-math-prm);
  // default: a custom format with the sim's template, tag and label order.
  verifier?: MessageInitShape<typeof VerifierFormatSchema>,
): Pick<PolicyInit, "prompt" | "verifierFormat"> {
  const p = sim.prompt;
  return {
    prompt: {
      format: mode,
      system: p.system ?? "",
      solve: p.solve,
      revise: p.revise,
      attempt: p.attempt,
      stepDelimiter: p.stepDelimiter,
      // chat mode: the model's server holds the template (the sim, or vLLM's --chat-template).
      chatTemplate: mode === "completion" ? (p.chatTemplate ?? "") : "",
    },
    verifierFormat: verifier ?? {
      format: "custom",
      template: sim.verifier.template,
      stepTag: sim.verifier.stepTag,
      positiveIndex: sim.verifier.positiveIndex,
    },
  };
}
