// Test helper: a ReportInput as `mull calibrate` produces it, three bins at three budgets, with
// numbers distinct enough that a test can find each one in the report.
import type { ReportInput } from "../input.ts";

const labels = [
  ["best-of-N weighted", "bestOfN"],
  ["majority", "majority"],
  ["beam M=4", "beam"],
  ["revision 1:N", "revision"],
] as const;
const budgets = [4, 16, 64];

function candidates(bin: number): ReportInput["bins"][number]["candidates"] {
  return budgets.flatMap((budget, b) =>
    labels.map(([label, strategy], s) => ({
      label,
      strategy,
      budget,
      generations: budget + 4 + s * 0.25,
      accuracy: Number((0.9 - bin * 0.2 + b * 0.03 + s * 0.01).toFixed(4)),
    })),
  );
}

export function reportInput(): ReportInput {
  const thresholds = [0.6182, 0.5237, null];
  return {
    dataset: {
      path: "data/math500.jsonl",
      sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
      problems: 240,
    },
    fleet: "policy demo/compute-optimal",
    budgets,
    folds: 2,
    probeSamples: 4,
    bins: thresholds.map((threshold, i) => {
      const bin = i + 1;
      return {
        bin,
        threshold,
        problems: 80,
        candidates: candidates(bin),
        chosen: budgets.map((budget, b) => ({
          budget,
          label: labels[(bin + b) % labels.length]?.[0] ?? "majority",
          cvAccuracy: 0.8 - bin * 0.2 + b * 0.025,
          ci95: [0.7 - bin * 0.2 + b * 0.025, 0.88 - bin * 0.2 + b * 0.025] as [number, number],
          proposerTokens: budget * 300 + bin,
          verifierTokens: budget * 350 + bin,
          backendCalls: budget * 2 + bin,
        })),
      };
    }),
    overall: budgets.map((budget, b) => ({
      budget,
      generations: budget + 4,
      optimal: 0.55 + b * 0.04,
      optimalCi95: [0.5 + b * 0.04, 0.6 + b * 0.04] as [number, number],
      bestOfN: 0.41 + b * 0.05,
    })),
    efficiency: { value: 4.27, isLowerBound: true },
    difficulty: Array.from({ length: 240 }, (_, i) => ({
      problemId: `p${i}`,
      probeScore: 0.41 + (0.34 * i) / 239,
      oraclePass1: i % 10 === 0 ? null : Math.min(1, i / 239 + 0.05),
      bin: i < 80 ? 3 : i < 160 ? 2 : 1,
    })),
    samples: { fresh: 51234, cached: 1020, failed: 3, retried: 17 },
    startedAt: "2026-12-02T01:00:00Z",
    finishedAt: "2026-12-02T01:42:10Z",
  };
}

/** One bin, one budget, no oracle: everything a plot or table must survive. */
export function degenerateInput(): ReportInput {
  return {
    dataset: { path: "one.jsonl", sha256: "0".repeat(64), problems: 3 },
    fleet: "http://127.0.0.1:8000 + http://127.0.0.1:8001",
    budgets: [4],
    folds: 2,
    probeSamples: 2,
    bins: [
      {
        bin: 1,
        threshold: null,
        problems: 3,
        candidates: [
          { label: "majority", strategy: "majority", budget: 4, generations: 4, accuracy: 1 / 3 },
        ],
        chosen: [
          {
            budget: 4,
            label: "majority",
            cvAccuracy: 1 / 3,
            ci95: [0.06, 0.79],
            proposerTokens: 812,
            verifierTokens: 0,
            backendCalls: 4,
          },
        ],
      },
    ],
    overall: [{ budget: 4, generations: 4, optimal: 1 / 3, optimalCi95: [0.06, 0.79], bestOfN: 0 }],
    efficiency: { value: 1, isLowerBound: false },
    difficulty: [0.2, 0.5, 0.9].map((probeScore, i) => ({
      problemId: `only-${i}`,
      probeScore,
      oraclePass1: null,
      bin: 1,
    })),
    samples: { fresh: 12, cached: 0, failed: 0, retried: 0 },
    startedAt: "2026-12-02T01:00:00Z",
    finishedAt: "2026-12-02T01:00:09Z",
  };
}
