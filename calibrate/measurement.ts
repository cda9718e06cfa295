// What calibration measured, shared by the measuring side (measure.ts) and the selection
// (select.ts): every grid cell's outcome on every problem, as the serve path reported it.

// One (strategy, budget) cell on one problem. The counts are the response's Usage, so the
// probe's generations and tokens are included, as at serve time.
export interface CellResult {
  label: string; // the grid cell's label (grid.ts), stable across budgets
  budget: number; // the request's max_generations
  correct: boolean;
  generations: number;
  proposerTokens: number; // prompt + completion
  verifierTokens: number;
  backendCalls: number;
  // The fleet still failed after the retries: the cell counts as wrong and is reported.
  failed?: boolean;
}

export interface ProblemResult {
  id: string;
  probeScore: number; // the probe's mean PRM score, as the router bins it
  oraclePass1: number | null; // null when --oracle-samples is 0
  cells: CellResult[];
}
