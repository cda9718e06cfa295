// Per-request seeds. vLLM (and sim/) return the same sample for the same prompt and seed, and a
// call with `n` samples and seed s draws choice i as a child request with seed s + i. So a call
// owns the seed *range* [s, s + n): two calls that must differ — probe samples, beam
// expansions, revision chains — must never overlap in range, and replaying a request id must
// replay its seeds (reproducible answers and tests).
//
// Ranges are handed out contiguously from a base that comes from the request id. That also
// makes sampling in rounds draw exactly the samples one big call would: N samples in rounds of
// 2 get seeds s, s+2, s+4, … and choices 0–1 of each, which are choices 0…N−1 of one call with
// seed s. Early stopping then sees the same samples as the full run, only fewer of them.

const MODULUS = 2 ** 31; // vLLM seeds are signed 32-bit ints in practice; stay non-negative
// Room left above the base, so that a request's ranges never wrap past 2^31.
const HEADROOM = 2 ** 24;

export class SeedAllocator {
  readonly base: number;
  #next = 0;

  constructor(requestId: string) {
    this.base = fnv1a(requestId) % (MODULUS - HEADROOM);
  }

  // The first seed of a fresh range of `n` seeds (one per sample of the call).
  next(n = 1): number {
    const seed = (this.base + this.#next) % MODULUS;
    this.#next += Math.max(1, n);
    return seed;
  }

  // How many seeds were handed out.
  get issued(): number {
    return this.#next;
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
