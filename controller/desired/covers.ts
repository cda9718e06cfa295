// Whether an observed object still carries every field we set. The API server adds defaults
// (protocols, pull policies, strategy, …) and normalises scalars (numbers in quantities come back
// as strings, in canonical form: 0.5 CPU reads back as "500m"), so "covers" means: every field of
// `want` is present in `have` with an equal value, extra fields in `have` are fine, and scalars
// compare by their string form or, failing that, as resource quantities.
export function covers(have: unknown, want: unknown): boolean {
  if (want === null || want === undefined) return true;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w, i) => covers(have[i], w));
  }
  if (typeof want === "object") {
    if (have === null || typeof have !== "object" || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(([k, w]) => covers(h[k], w));
  }
  if (have === undefined || have === null) return false;
  if (String(have) === String(want)) return true;
  const a = quantity(String(have));
  return a !== undefined && a === quantity(String(want));
}

const SUFFIX: Record<string, number> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// A Kubernetes resource quantity ("500m", "16Gi", "1e3") as a number; undefined if it is none.
export function quantity(text: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(text);
  const factor = m ? SUFFIX[m[2] ?? ""] : undefined;
  return m && factor !== undefined ? Number(m[1]) * factor : undefined;
}
