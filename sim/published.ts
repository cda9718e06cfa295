// The published results the sim's calibration is compared with, and how sure the readings are.
// Accuracies are fractions of MATH-500 solved by Llama-3.2-1B-Instruct with the
// RLHFlow/Llama3.1-8B-PRM-Deepseek-Data PRM (`last` aggregation, beam width M = 4), from Hugging
// Face's blog "Scaling test-time compute with open models" (Beeching, Tunstall, Rush; Dec 2024;
// the search-and-learn repository). The blog gives these only as plots; no stored copy of its
// text or of the repository holds the numbers. Best-of-N is a reading of its figure (about ±3
// points); beam search and DVTS are targets set from the blog's text claims and the shape of its
// plots as remembered, not readings (±5 points at best). See README.md.

// Weighted best-of-N against N. N = 1 agrees with Meta's 30.6% MATH (CoT) for the model.
export const PUBLISHED_WEIGHTED_BON: Record<number, number> = {
  1: 0.3,
  4: 0.38,
  16: 0.44,
  64: 0.48,
  256: 0.5,
};

// Beam search (M = 4): a moderate lead over weighted best-of-N, largest at small N, about
// +5..10 points over N = 16..256, never near 90%.
export const PUBLISHED_BEAM: Record<number, number> = {
  4: 0.42,
  16: 0.5,
  64: 0.54,
  256: 0.56,
};

// DVTS (M = 4): behind beam search at small N (each subtree is a width-M greedy search), ahead
// of it from N ≈ 64, where beam search's beams collapse onto a few high-scoring prefixes.
export const PUBLISHED_DVTS: Record<number, number> = {
  4: 0.4,
  16: 0.48,
  64: 0.55,
  256: 0.58,
};

// The per-difficulty results (the blog's per-level figures; Snell et al. 2024, arXiv
// 2408.03314, Fig. 3 right, PaLM 2-S*) are shapes rather than numbers; calibrate/sim-fit-format.ts
// checks them as claims. Snell et al.'s Fig. 3 left, as a third-party machine extraction of the
// figure reads it (low confidence): weighted best-of-N 26% at N = 8 and 38% at N = 512 against
// beam search (M = 4) 34% at N = 16 and 37% at N = 256: beam search ahead at small budgets,
// caught up with at large ones.
