/**
 * The one seedable pseudo-random generator of a training run (xoshiro128**, seeded through
 * splitmix32). Its whole state is four 32-bit words, saved in every checkpoint, so that a resumed
 * run draws exactly the crops, flips and drop-path masks the uninterrupted run would have drawn.
 * Math.random is never used in training: it cannot be seeded or saved.
 */
export type RandomState = [number, number, number, number];

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number | RandomState = 0) {
    if (Array.isArray(seed)) this.setState(seed);
    else this.reseed(seed);
  }

  /** Fills the state from one integer with splitmix32, which never leaves it all zero. */
  reseed(seed: number): void {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.setState([next(), next(), next(), next()]);
  }

  getState(): RandomState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.every((word) => word >>> 0 === 0)) {
      throw new Error(`Invalid random state [${state.join(', ')}]: four 32-bit words, not all zero.`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((word) => word >>> 0);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits, like Python's random.random(). */
  random(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Integer uniform in [low, high) (high exclusive, as torch.randint), without modulo bias. */
  integer(low: number, high: number): number {
    const span = high - low;
    if (!(span >= 1) || span > 2 ** 32) throw new Error(`integer(${low}, ${high}): empty or too wide range.`);
    const limit = 2 ** 32 - (2 ** 32 % span);
    let bits = this.nextUint32();
    while (bits >= limit) bits = this.nextUint32();
    return low + (bits % span);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.random() < p;
  }

  /** A standard normal sample (Box–Muller; both uniforms drawn every time so the stream stays simple). */
  normal(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle of 0..count-1. */
  permutation(count: number): Int32Array {
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    for (let i = count - 1; i > 0; i--) {
      const j = this.integer(0, i + 1);
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
