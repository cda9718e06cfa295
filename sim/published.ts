// The published results the sim's calibration is compared with, and how sure the readings are.
// Accuracies are fractions of MATH-500 solved by Llama-3.2-1B-Instruct with the
// RLHFlow/Llama3.1-8B-PRM-Deepseek-Data PRM (`last` aggregation, beam width M = 4), from Hugging
// Face's blog "Scaling test-time compute with open models" (Beeching, Tunstall, Rush; Dec 2024;
// the search-and-learn repository). The blog gives these only as plots; no stored copy of its
// text or of the repository holds the numbers, so every value below is a reading of the
// figures, good to about ±3 points for best-of-N and ±5 points for beam search and DVTS.

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

// What the per-difficulty figures of the blog (MATH levels) and of Snell et al. 2024 (arXiv
// 2408.03314, Fig. 3 right, PaLM 2-S*; binned by difficulty) show, as claims the sim should
// reproduce in shape. Snell et al.'s Fig. 3 left reads (approximately) weighted best-of-N
// 26% at N = 8 and 38% at N = 512 against beam search (M = 4) 34% at N = 16 and 37% at
// N = 256: beam search ahead at small budgets, caught up with at large ones.
export const PUBLISHED_CLAIMS: readonly string[] = [
  "easiest bin: beam search no better than best-of-N at N ≥ 64 (PRM over-optimisation)",
  "hardest bins: beam search ahead of best-of-N at every N",
  "beam search's lead over best-of-N larger on hard bins than on easy ones",
  "DVTS ahead of beam search at large N (≥ 64) overall",
  "sequential revisions ahead of parallel best-of-N on the easiest bins",
];
