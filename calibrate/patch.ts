// policy-patch.yaml: what a calibration measured, as a server-side apply patch of the
// TestTimePolicy (--apply, apply-patch.ts, or `kubectl apply --server-side --field-manager mull-calibrate`). It
// holds only the fields calibration knows: the probe (bins, samples, thresholds), each bin's
// strategy table with the measured accuracy and costs, budget.maxGenerations (kept, or raised
// to the top budget), and spec.calibration for the Calibrated condition. Fields equal to the
// user's are shared with them, not taken. spec.bins is a list-map keyed by bin, so every other field of a bin (its pool
// bounds) stays with whoever wrote it; a bin the policy lacks gets the CRD's default bounds.
import { Document } from "yaml";
import * as api from "../controller/policy/names.ts";
import { maxGenerations, maxLevels } from "../controller/policy/schema.ts";
import type { StrategyLevel, TestTimePolicy } from "../controller/policy/types.ts";
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import type { Choice } from "./select.ts";

export const FIELD_MANAGER = "mull-calibrate";

// What the patch needs of a selection (select.ts): its thresholds and each bin's choices.
export interface PatchInput {
  thresholds: readonly number[];
  budgets: readonly number[];
  bins: readonly {
    bin: number;
    chosen: readonly Pick<
      Choice,
      "budget" | "spec" | "cvAccuracy" | "proposerTokens" | "verifierTokens"
    >[];
  }[];
}

export interface PatchOptions {
  name: string;
  namespace?: string;
  dataset: { sha256: string; problems: number };
  calibratedAt: string; // RFC 3339
  probeSamples: number;
  // The policy calibration read (its snapshot, as fleet.ts holds it): a bin it has beyond the
  // calibrated ones would make the patch invalid; its maxGenerations is kept unless a budget is
  // above it.
  policy?: Pick<PolicySnapshot, "binTable" | "maxGenerations">;
}

// A patch is a partial policy: only the fields calibration owns.
export interface PolicyPatch {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    difficulty: { bins: number; probeSamples: number; thresholds: number[] };
    budget: { maxGenerations: number };
    bins: { bin: number; strategies: StrategyLevel[] }[];
    calibration: NonNullable<TestTimePolicy["spec"]["calibration"]>;
  };
}

export function policyPatch(input: PatchInput, options: PatchOptions): PolicyPatch {
  const bins = input.bins.length;
  const budgets = [...input.budgets].sort((a, b) => a - b);
  const top = budgets[budgets.length - 1] ?? 0;
  if (budgets.length > maxLevels) {
    throw new Error(`a bin's table holds at most ${maxLevels} budgets, got ${budgets.length}`);
  }
  if (top > maxGenerations) {
    throw new Error(`a policy's budgets are at most ${maxGenerations} generations, got ${top}`);
  }
  const beyond = (options.policy?.binTable ?? []).filter((b) => b.bin > bins).map((b) => b.bin);
  if (beyond.length > 0) {
    throw new Error(
      `calibrated ${bins} bins, but policy ${options.name} has bins ${beyond.join(", ")} too: ` +
        `calibrate it with --bins ${Math.max(...beyond)}`,
    );
  }
  // Always written: a field the manager stops applying is removed (server-side apply), and
  // the levels need it at least as high as the top budget.
  const maxGenerationsOut = Math.max(top, options.policy?.maxGenerations ?? 0);
  return {
    apiVersion: api.apiVersion,
    kind: api.kind,
    metadata: {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    },
    spec: {
      difficulty: {
        bins,
        probeSamples: options.probeSamples,
        thresholds: input.thresholds.map((t) => round(t, 6)),
      },
      budget: { maxGenerations: maxGenerationsOut },
      bins: input.bins.map((b) => ({
        bin: b.bin,
        strategies: [...b.chosen].sort((x, y) => x.budget - y.budget).map(level),
      })),
      calibration: {
        datasetSha256: options.dataset.sha256,
        problems: options.dataset.problems,
        calibratedAt: options.calibratedAt,
        budgets,
      },
    },
  };
}

function level(c: PatchInput["bins"][number]["chosen"][number]): StrategyLevel {
  const { spec } = c;
  return {
    generations: c.budget,
    strategy: spec.strategy,
    ...(spec.beamWidth ? { beamWidth: spec.beamWidth } : {}),
    ...(spec.lookahead ? { lookahead: spec.lookahead } : {}),
    ...(spec.strategy === "revision"
      ? { sequentialRatio: round(spec.sequentialRatio ?? 1, 6) }
      : {}),
    expectedAccuracy: round(c.cvAccuracy, 4),
    proposerTokens: Math.round(c.proposerTokens),
    verifierTokens: Math.round(c.verifierTokens),
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export function patchYaml(patch: PolicyPatch): string {
  const doc = new Document(patch);
  const where = patch.metadata.namespace ? ` -n ${patch.metadata.namespace}` : "";
  doc.commentBefore =
    " Written by mull calibrate; `mull calibrate --apply` applies it. By hand, on a policy\n" +
    " created with `kubectl apply --server-side`:\n" +
    `   kubectl${where} apply --server-side --field-manager ${FIELD_MANAGER} -f policy-patch.yaml\n` +
    " (add --force-conflicts the first time: the fields were someone else's). Not on a policy\n" +
    " created by a plain `kubectl apply`: kubectl would hand all of its fields to\n" +
    ` ${FIELD_MANAGER}, and the next calibration could not apply (calibrate/README.md).`;
  return doc.toString();
}
