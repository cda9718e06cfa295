// The knobs of the simulated policy model and PRM. The defaults are fitted (see
// calibrate/sim-fit.ts and README.md) so that weighted best-of-N accuracy against N resembles
// search-and-learn's Llama-3.2-1B-Instruct on MATH-500.
export interface ModelConfig {
  // A fresh sample's chance of staying on track to the end (pass@1 before recoveries), from
  // passEasy at difficulty 0 to passHard at difficulty 1, log-linear in difficulty^passCurve.
  // Spread over the steps as a per-step error, so longer solutions err more often per step
  // only through being harder.
  passEasy: number;
  passHard: number;
  passCurve: number;
  // Per-step chance that an off-track path lands back on the right value.
  recovery: number;
  // Solutions have between minSteps and maxSteps steps; harder problems take more.
  minSteps: number;
  maxSteps: number;
  // How many distinct wrong final answers a problem has. Their weights fall geometrically by a
  // ratio drawn per problem from [wrongDecayMin, wrongDecayMax]: a low ratio makes one wrong
  // answer popular (a vote converges on it), a high one spreads them (the correct answer wins
  // once it has been sampled a few times). This spread is what makes accuracy keep rising
  // with N instead of saturating at once.
  wrongAnswers: number;
  wrongDecayMin: number;
  wrongDecayMax: number;
  // Of a problem's failure rate (log pass@1), the share that falls on one crux step; the rest
  // is spread evenly over the other steps. A crux is a step the model rarely gets right: a
  // search can only get past it by sampling it right, as best-of-N must, so it bounds what
  // step-wise search gains over sampling whole solutions on hard problems.
  cruxShare: number;
  // Deceptive paths: the share of problems that have one, a sample's chance of taking it at its
  // branching step, and the PRM's logit bonus for every step on it (see problem.ts, prm.ts).
  trapRate: number;
  trapPull: number;
  trapBias: number;
  // PRM: logit gap between a correct and a wrong step, and how much of it is lost on the
  // hardest problems (gap × (1 − separationFade × difficulty)); noise per scored prefix; a bias
  // per (problem, final answer) that the PRM keeps across samples; how much lower it scores hard
  // problems overall (what makes the probe's mean score a difficulty estimate).
  separation: number;
  separationFade: number;
  // How wrong the steps after a slip look to the PRM, from 0 (as good as correct steps: the
  // error propagates silently) to 1 (as bad as the slip itself). Final answers are always
  // judged in full.
  errorVisibility: number;
  prmNoise: number;
  prmAnswerBias: number;
  prmDifficultyTilt: number;
  // Revision: the most a revision can cut the step error (on the easiest problems), how fast
  // that gain fades with difficulty, how much more a revision keeps an earlier correct answer,
  // and how often (times difficulty squared) a revision of a wrong attempt just repeats its
  // answer.
  revisionGain: number;
  revisionCurve: number;
  revisionKeep: number;
  revisionAnchor: number;
}

export const DEFAULT_MODEL: ModelConfig = {
  passEasy: 0.95,
  passHard: 0.001,
  passCurve: 1.6,
  recovery: 0.02,
  minSteps: 3,
  maxSteps: 9,
  wrongAnswers: 40,
  wrongDecayMin: 0.3,
  wrongDecayMax: 1,
  cruxShare: 0.7,
  trapRate: 0.4,
  trapPull: 0.015,
  trapBias: 1.5,
  separation: 1.2,
  separationFade: 0.7,
  errorVisibility: 0.3,
  prmNoise: 1,
  prmAnswerBias: 0.6,
  prmDifficultyTilt: 1.5,
  revisionGain: 0.8,
  revisionCurve: 2,
  revisionKeep: 0.5,
  revisionAnchor: 1,
};

export function modelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return { ...DEFAULT_MODEL, ...overrides };
}
