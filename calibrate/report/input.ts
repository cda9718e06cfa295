/** What `mull calibrate` measured, as the report and plots need it. Accuracies are 0-1. */
export interface ReportInput {
  dataset: { path: string; sha256: string; problems: number };
  fleet: string; // e.g. "policy demo/compute-optimal" or the URLs
  budgets: number[]; // generations per request, ascending
  folds: number;
  probeSamples: number;
  bins: {
    bin: number; // 1 = easiest
    threshold: number | null; // its probe-score cut point towards the next bin; null for the last bin
    problems: number;
    candidates: {
      label: string;
      strategy: string;
      budget: number;
      generations: number;
      accuracy: number;
    }[]; // in-sample, all problems of the bin; generations = mean per request incl. the probe
    chosen: {
      budget: number;
      label: string;
      cvAccuracy: number;
      ci95: [number, number];
      proposerTokens: number;
      verifierTokens: number;
      backendCalls: number;
    }[];
  }[];
  overall: {
    budget: number;
    generations: number;
    optimal: number;
    optimalCi95: [number, number];
    bestOfN: number;
  }[]; // optimal = CV accuracy, probe charged in generations
  efficiency: { value: number; isLowerBound: boolean };
  difficulty: { problemId: string; probeScore: number; oraclePass1: number | null; bin: number }[];
  samples: { fresh: number; cached: number; failed: number; retried: number };
  startedAt: string;
  finishedAt: string;
}
