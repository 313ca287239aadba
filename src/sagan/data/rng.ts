/**
 * @file Seeded randomness for the data pipeline: a small PRNG (mulberry32) for sequential draws, an integer
 * hash (lowbias32) for order-free per-pixel / per-lattice-point noise, and a seeded Fisher–Yates shuffle.
 * Everything here is deterministic across Node, Deno and browsers: only 32-bit integer ops (Math.imul, >>>)
 * and float division, no Math.random.
 */

/** lowbias32 (Chris Wellons' hash-prospector): a bijective 32-bit mix with good avalanche; returns uint32. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of several integers (order matters), uint32. Used to derive independent streams: (seed, index, tag). */
export function hashInts(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) h = hash32((h ^ hash32(x | 0)) + 0x6d2b79f5);
  return h;
}

/** Hash of (x, y, seed) → uniform in [0, 1). Order-free: the value at a point never depends on draw order. */
export function hash2f(x: number, y: number, seed: number): number {
  // One mixing round over a linear combination of the coordinates: enough decorrelation for texture noise
  // (lattice coordinates stay far below the 2^32 wrap-around), and it is the noise hot path.
  return hash32((Math.imul(x | 0, 0x27d4eb2d) + Math.imul(y | 0, 0x165667b1)) ^ seed) / 4294967296;
}

/** mulberry32: 32-bit state, period 2^32, passes the statistical tests that matter for procedural content. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Next uint32. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform in [a, b). */
  range(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  /** Uniform integer in [0, n). Multiply-shift keeps the bias below 2^-32·n, irrelevant at our sizes. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** true with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  /** Standard normal via Box–Muller (one value per call; the twin is dropped to keep draws count-stable). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(u) finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** One element, uniformly, or by weights when given (weights need not sum to 1). */
  pick<T>(items: readonly T[], weights?: readonly number[]): T {
    if (!weights) return items[this.int(items.length)]!;
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i]!;
      if (r < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }
}

/** In-place Fisher–Yates shuffle driven by `rng`; every permutation equally likely. */
export function shuffleInPlace<T>(a: T[] | Int32Array | Uint32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
