// A policy's formats: the proposer's prompt format (prompt.ts) and the PRM's input format, one
// file per model family, registered here by the names a policy uses (`verifierFormat.format`).
// An unknown name fails validation; a model outside these families is described with `custom`,
// so a fine-tuned model never needs a code change.
import type {
  PolicySnapshot,
  VerifierFormat as VerifierFormatMessage,
} from "../../proto/gen/mull/v1/fleet_pb.ts";
import {
  customVerifier,
  DEFAULT_POSITIVE_INDEX,
  PLAIN_STEP_TAG,
  PLAIN_VERIFIER_TEMPLATE,
} from "./custom.ts";
import { mathShepherd } from "./math-shepherd.ts";
import { type ProposerFormat, promptProblems, proposerFormat } from "./prompt.ts";
import { qwenMathPrm } from "./qwen2.5-math-prm.ts";
import type { VerifierFormat } from "./verifier.ts";

export type { ProposerFormat } from "./prompt.ts";
export type { VerifierFormat } from "./verifier.ts";

const VERIFIER_FORMATS: Record<string, (m: VerifierFormatMessage) => VerifierFormat> = {
  "qwen2.5-math-prm": () => qwenMathPrm,
  "math-shepherd": () => mathShepherd,
  custom: (m) => customVerifier(m.template, m.stepTag, m.positiveIndex ?? DEFAULT_POSITIVE_INDEX),
};

export const VERIFIER_FORMAT_NAMES: readonly string[] = Object.keys(VERIFIER_FORMATS);

export interface PolicyFormats {
  proposer: ProposerFormat;
  verifier: VerifierFormat;
}

function verifierProblems(m: VerifierFormatMessage | undefined): string[] {
  if (m === undefined) return [];
  const problems: string[] = [];
  if (!VERIFIER_FORMAT_NAMES.includes(m.format)) {
    problems.push(
      `verifierFormat.format: unknown format "${m.format}" (known: ${VERIFIER_FORMAT_NAMES.join(", ")})`,
    );
    return problems;
  }
  if (m.format !== "custom") {
    if (m.template !== "" || m.stepTag !== "" || m.positiveIndex !== undefined) {
      problems.push(
        `verifierFormat: template, stepTag and positiveIndex apply only to format custom, not ${m.format}`,
      );
    }
    return problems;
  }
  if (m.stepTag === "") problems.push("verifierFormat.stepTag: a custom format needs a step tag");
  if (m.template === "") problems.push("verifierFormat.template: a custom format needs a template");
  for (const p of ["{problem}", "{steps}"]) {
    if (m.template !== "" && !m.template.includes(p)) {
      problems.push(`verifierFormat.template must contain ${p}`);
    }
  }
  return problems;
}

// Problems with a policy's formats, each naming its field; empty when both are usable.
export function formatProblems(policy: PolicySnapshot): string[] {
  return [...promptProblems(policy.prompt), ...verifierProblems(policy.verifierFormat)];
}

function verifierFormat(policy: PolicySnapshot): VerifierFormat {
  const m = policy.verifierFormat;
  if (m === undefined) {
    return customVerifier(
      PLAIN_VERIFIER_TEMPLATE,
      policy.stepSeparator || PLAIN_STEP_TAG,
      DEFAULT_POSITIVE_INDEX,
      "plain",
    );
  }
  const make = VERIFIER_FORMATS[m.format];
  if (make === undefined) throw new Error(`unknown verifier format "${m.format}"`);
  return make(m);
}

// Built once per snapshot (a chat template is parsed once, not per call). Assumes the policy
// passed formatProblems, as every policy the router loads has.
const cache = new WeakMap<PolicySnapshot, PolicyFormats>();

export function policyFormats(policy: PolicySnapshot): PolicyFormats {
  let formats = cache.get(policy);
  if (formats === undefined) {
    formats = { proposer: proposerFormat(policy.prompt), verifier: verifierFormat(policy) };
    cache.set(policy, formats);
  }
  return formats;
}
