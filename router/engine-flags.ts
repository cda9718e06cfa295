// `mull router` flags that tune the engine, turned into EngineOptionsInput with clear errors.
import { DEFAULT_OPTIONS, type EarlyStopRule, type EngineOptionsInput } from "./engine/options.ts";

export const ENGINE_FLAGS_HELP = `  --early-stop RULE          off | exact | margin: stop sampling once the weighted vote is
                             decided (default ${DEFAULT_OPTIONS.earlyStopping.rule})
  --early-stop-rounds N      rounds best-of-N and majority sample in (default ${DEFAULT_OPTIONS.earlyStopping.rounds}; 1 = one call)
  --early-stop-margin X      the margin rule's factor in (0, 1] (default ${DEFAULT_OPTIONS.earlyStopping.margin})
  --temperature T            proposer sampling temperature (default ${DEFAULT_OPTIONS.temperature})
  --max-prompt-chars N       longer prompts get INVALID_ARGUMENT (default ${DEFAULT_OPTIONS.maxPromptChars})
`;

export const ENGINE_FLAGS = {
  "early-stop": { type: "string" },
  "early-stop-rounds": { type: "string" },
  "early-stop-margin": { type: "string" },
  temperature: { type: "string" },
  "max-prompt-chars": { type: "string" },
} as const;

const RULES: readonly EarlyStopRule[] = ["off", "exact", "margin"];

export type EngineFlagValues = Partial<Record<keyof typeof ENGINE_FLAGS, string>>;

// The options, or the list of what is wrong with the flags.
export function engineOptionsFromFlags(v: EngineFlagValues): EngineOptionsInput | string[] {
  const problems: string[] = [];
  const number = (flag: keyof typeof ENGINE_FLAGS, ok: (n: number) => boolean, want: string) => {
    const raw = v[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === "" || !ok(n)) problems.push(`--${flag} must be ${want}, got "${raw}"`);
    return n;
  };
  const rule = v["early-stop"];
  if (rule !== undefined && !RULES.includes(rule as EarlyStopRule)) {
    problems.push(`--early-stop must be one of ${RULES.join(", ")}, got "${rule}"`);
  }
  const rounds = number(
    "early-stop-rounds",
    (n) => Number.isInteger(n) && n >= 1,
    "an integer ≥ 1",
  );
  const margin = number("early-stop-margin", (n) => n > 0 && n <= 1, "a number in (0, 1]");
  const temperature = number("temperature", (n) => n >= 0 && n <= 2, "a number in [0, 2]");
  const maxPromptChars = number(
    "max-prompt-chars",
    (n) => Number.isInteger(n) && n >= 1,
    "an integer ≥ 1",
  );
  if (problems.length > 0) return problems;
  const earlyStopping = {
    ...(rule !== undefined ? { rule: rule as EarlyStopRule } : {}),
    ...(rounds !== undefined ? { rounds } : {}),
    ...(margin !== undefined ? { margin } : {}),
  };
  return {
    ...(Object.keys(earlyStopping).length > 0 ? { earlyStopping } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxPromptChars !== undefined ? { maxPromptChars } : {}),
  };
}
