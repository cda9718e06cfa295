// Per-request seeds. vLLM (and sim/) return the same sample for the same prompt and seed, so two
// calls that must differ — probe samples, beam expansions, revision chains — must never share a
// seed, while replaying a request id must replay its seeds (reproducible answers and tests).
//
// seed_i = (base + i · STRIDE) mod 2^31 with an odd STRIDE is a bijection of i on [0, 2^31), so
// the first 2^31 seeds of a request are pairwise distinct; the base comes from the request id.

const MODULUS = 2 ** 31; // vLLM seeds are signed 32-bit ints in practice; stay non-negative
const STRIDE = (0x5bd1e995 % MODULUS) | 1; // odd, so i ↦ i·STRIDE is invertible mod 2^31

export class SeedAllocator {
  readonly base: number;
  #next = 0;

  constructor(requestId: string) {
    this.base = fnv1a(requestId) % MODULUS;
  }

  next(): number {
    const i = this.#next++;
    // Math.imul keeps the product exact in 32 bits; >>> 0 then mod 2^31 is the low 31 bits.
    return ((this.base + (Math.imul(i, STRIDE) >>> 0)) >>> 0) % MODULUS;
  }

  // How many seeds were handed out (one per backend generate call).
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
