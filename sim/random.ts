// Deterministic randomness from text. Every replica must reach the same answer from the same
// text (a problem's latent difficulty, a PRM score, a seeded sample), so nothing here may depend
// on process state: only on the strings and numbers passed in.

// FNV-1a over the UTF-16 code units, finished with a murmur3-style mix so that strings differing
// in one character land far apart.
export function hash32(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = typeof part === "number" ? `#${part}` : part;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    // A separator so that ("ab","c") and ("a","bc") differ.
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// A uniform number in [0, 1) named by its parts.
export function unit(...parts: readonly (string | number)[]): number {
  return hash32(...parts) / 4294967296;
}

// A standard normal named by its parts (Box-Muller over two independent units).
export function normal(...parts: readonly (string | number)[]): number {
  const u = Math.max(unit(...parts, "n1"), 1e-12);
  const v = unit(...parts, "n2");
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type Rng = () => number;

// mulberry32: small, fast and good enough for sampling solutions.
export function rngFrom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

// Index drawn with probability proportional to weights.
export function pickWeighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i] ?? 0;
    if (x < 0) return i;
  }
  return weights.length - 1;
}
