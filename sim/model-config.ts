// The knobs of the simulated policy model and PRM. The defaults are calibrated (see
// calibrate.ts and README.md) so that weighted best-of-N accuracy against N resembles
// search-and-learn's Llama-3.2-1B-Instruct on MATH-500.
export interface ModelConfig {
  // Per-step chance of a mistake on an on-track path: easy + (hard - easy) * difficulty^curve.
  stepErrorEasy: number;
  stepErrorHard: number;
  stepErrorCurve: number;
  // Per-step chance that an off-track path lands back on the right value.
  recovery: number;
  // Solutions have between minSteps and maxSteps steps; harder problems take more.
  minSteps: number;
  maxSteps: number;
  // How many distinct wrong final answers a problem has, and how strongly the first one is
  // preferred (weights fall geometrically by this ratio), so wrong answers collide in a vote.
  wrongAnswers: number;
  wrongAnswerDecay: number;
  // PRM: logit gap between a correct and a wrong step; noise per scored prefix; a bias per
  // (problem, final answer) that the PRM keeps across samples; how much lower it scores hard
  // problems overall (what makes the probe's mean score a difficulty estimate).
  separation: number;
  prmNoise: number;
  prmAnswerBias: number;
  prmDifficultyTilt: number;
  // Revision: the most a revision can cut the step error (on the easiest problems), how fast
  // that gain fades with difficulty, how much more a revision keeps an earlier correct answer,
  // and how often a wrong revision repeats the last attempt's wrong answer.
  revisionGain: number;
  revisionCurve: number;
  revisionKeep: number;
  revisionAnchor: number;
}

export const DEFAULT_MODEL: ModelConfig = {
  stepErrorEasy: 0.02,
  stepErrorHard: 0.5,
  stepErrorCurve: 1.5,
  recovery: 0.02,
  minSteps: 3,
  maxSteps: 9,
  wrongAnswers: 4,
  wrongAnswerDecay: 0.5,
  separation: 2.5,
  prmNoise: 1,
  prmAnswerBias: 0.6,
  prmDifficultyTilt: 1.5,
  revisionGain: 0.8,
  revisionCurve: 2,
  revisionKeep: 0.5,
  revisionAnchor: 0.5,
};

export function modelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return { ...DEFAULT_MODEL, ...overrides };
}
