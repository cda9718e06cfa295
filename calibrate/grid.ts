// The strategies calibration tries at each budget (the grid): weighted best-of-N,
// majority, beam search at M = 4 and M = √N, lookahead at k = 1 and 3, DVTS, and revisions from
// one chain of N attempts to N parallel ones. `--strategies` narrows it or names other variants.
// A variant's label does not name the budget ("beam(M=√N)"), so it is one curve across budgets.
import type { StrategyName } from "../router/engine/table.ts";
import type { StrategySpec } from "./engine-runs.ts";

export interface GridCell {
  label: string;
  budget: number;
  spec: StrategySpec;
}

export const DEFAULT_BUDGETS: readonly number[] = [4, 16, 64, 256];

// search-and-learn's beam width for lookahead and DVTS.
const SEARCH_WIDTH = 4;

// A width or sequential length that is fixed or grows with the budget N.
type Scaled = { fixed: number } | { power: 0.5 | 1 };

type Variant =
  | { family: "bestOfN" | "majority" }
  | { family: "beam" | "dvts"; width: Scaled }
  | { family: "lookahead"; k: number }
  // The fraction of the budget spent in one chain: 1, or 1/√N, 1/N, or a fixed fraction.
  | { family: "revision"; seq: { fixed: number } | { inverse: Scaled } };

const FAMILIES = ["bestOfN", "majority", "beam", "lookahead", "dvts", "revision"] as const;
type Family = (typeof FAMILIES)[number];

const DEFAULTS: Record<Family, Variant[]> = {
  bestOfN: [{ family: "bestOfN" }],
  majority: [{ family: "majority" }],
  beam: [
    { family: "beam", width: { fixed: 4 } },
    { family: "beam", width: { power: 0.5 } },
  ],
  lookahead: [
    { family: "lookahead", k: 1 },
    { family: "lookahead", k: 3 },
  ],
  dvts: [{ family: "dvts", width: { fixed: SEARCH_WIDTH } }],
  revision: [
    { family: "revision", seq: { fixed: 1 } },
    { family: "revision", seq: { inverse: { power: 0.5 } } },
    { family: "revision", seq: { inverse: { power: 1 } } },
  ],
};

export function defaultGrid(
  budgets: readonly number[] = DEFAULT_BUDGETS,
  strategies: readonly string[] = FAMILIES,
): GridCell[] {
  const variants = strategies.flatMap(parseVariant);
  return [...budgets]
    .sort((a, b) => a - b)
    .flatMap((budget) => {
      const seen = new Set<string>();
      const labels = new Set<string>();
      const cells: GridCell[] = [];
      for (const variant of variants) {
        const spec = specAt(variant, budget);
        // Variants that coincide at this budget (beam M=4 and M=√N at N=16) run once.
        if (!spec || seen.has(effective(spec, budget)) || labels.has(spec.label)) continue;
        seen.add(effective(spec, budget));
        labels.add(spec.label);
        cells.push({ label: spec.label, budget, spec });
      }
      return cells;
    });
}

// "--strategies bestOfN,beam(M=8),revision": family names (their default variants) or variants.
export function parseStrategies(text: string): string[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) throw new Error("--strategies names no strategy");
  for (const name of names) parseVariant(name);
  return names;
}

export function parseBudgets(text: string): number[] {
  const budgets = text.split(",").map((s) => s.trim());
  const parsed = budgets.map(Number);
  const bad = budgets.find((s, i) => !/^\d+$/.test(s) || (parsed[i] as number) < 1);
  if (bad !== undefined) {
    throw new Error(`--budgets must be positive whole numbers of generations, got "${bad}"`);
  }
  if (new Set(parsed).size !== parsed.length) throw new Error(`--budgets repeats a budget`);
  return parsed.sort((a, b) => a - b);
}

function parseVariant(name: string): Variant[] {
  if ((FAMILIES as readonly string[]).includes(name)) return DEFAULTS[name as Family];
  const match = /^(\w+)\((\w+)=([^)]+)\)$/.exec(name.replace(/\s+/g, ""));
  const [, family, key, value] = match ?? [];
  const bad = (why: string) =>
    new Error(
      `unknown strategy "${name}" (${why}); use ${FAMILIES.join(", ")}, or a variant such as ` +
        "beam(M=8), dvts(M=√N), lookahead(k=2), revision(seq=1/√N), revision(seq=0.5)",
    );
  if (!family || !key || !value) throw bad("not a name nor name(key=value)");
  if ((family === "beam" || family === "dvts") && key === "M") {
    return [{ family, width: scaled(value, bad) }];
  }
  if (family === "lookahead" && key === "k") {
    const k = Number(value);
    if (!Number.isInteger(k) || k < 1) throw bad("k must be a whole number of steps ≥ 1");
    return [{ family, k }];
  }
  if (family === "revision" && key === "seq") {
    if (value.startsWith("1/") && /N$/.test(value)) {
      return [{ family, seq: { inverse: scaled(value.slice(2), bad) } }];
    }
    const [top, bottom] = value.split("/");
    const seq = bottom === undefined ? Number(top) : Number(top) / Number(bottom);
    if (!(seq > 0 && seq <= 1)) throw bad("seq must be a fraction in (0, 1], 1/N or 1/√N");
    return [{ family, seq: { fixed: seq } }];
  }
  throw bad(`${family} has no parameter ${key}`);
}

function scaled(value: string, bad: (why: string) => Error): Scaled {
  if (value === "N") return { power: 1 };
  if (value === "√N" || value === "sqrtN" || value === "sqrt(N)") return { power: 0.5 };
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw bad(`${value} is not a whole number, N or √N`);
  return { fixed: n };
}

function at(s: Scaled, budget: number): number {
  return "fixed" in s ? s.fixed : Math.max(1, Math.round(budget ** s.power));
}

function scaledLabel(s: Scaled): string {
  return "fixed" in s ? String(s.fixed) : s.power === 1 ? "N" : "√N";
}

// The variant at budget N, or undefined where it does not apply (a beam width that does not
// divide N).
function specAt(v: Variant, budget: number): StrategySpec | undefined {
  const strategy: StrategyName = v.family;
  switch (v.family) {
    case "bestOfN":
    case "majority":
      return { label: v.family, strategy };
    case "beam":
    case "dvts": {
      const beamWidth = at(v.width, budget);
      if (beamWidth > budget || budget % beamWidth !== 0) return undefined;
      return { label: `${v.family}(M=${scaledLabel(v.width)})`, strategy, beamWidth };
    }
    case "lookahead": {
      if (SEARCH_WIDTH > budget || budget % SEARCH_WIDTH !== 0) return undefined;
      return {
        label: `lookahead(k=${v.k})`,
        strategy,
        beamWidth: SEARCH_WIDTH,
        lookahead: v.k,
      };
    }
    case "revision": {
      const seq = v.seq;
      const sequentialRatio = "fixed" in seq ? seq.fixed : 1 / at(seq.inverse, budget);
      const label = "fixed" in seq ? String(seq.fixed) : `1/${scaledLabel(seq.inverse)}`;
      return { label: `revision(seq=${label})`, strategy, sequentialRatio };
    }
  }
}

// What the engine actually runs, to drop variants that coincide at a budget. Revisions with the
// same chain length are the same plan (router/engine/strategies/revision.ts chainPlan).
function effective(spec: StrategySpec, budget: number): string {
  const chain =
    spec.strategy === "revision"
      ? Math.max(1, Math.round(budget * (spec.sequentialRatio ?? 1)))
      : 0;
  return `${spec.strategy}/${spec.beamWidth ?? 0}/${spec.lookahead ?? 0}/${chain}`;
}
