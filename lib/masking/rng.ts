import { z } from 'zod';
import { InvalidConfig } from '../errors.js';

/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) whose whole state is four uint32
 * words, so training can write it into a checkpoint and resume the exact same masks.
 * xoshiro rather than mulberry32: a 2^32 period would wrap within one long pretraining run
 * (~200 draws per sample × billions of samples).
 */
export const rngStateSchema = z.object({
  algorithm: z.literal('xoshiro128**'),
  s: z.tuple([uint32(), uint32(), uint32(), uint32()]),
});
export type RngState = z.infer<typeof rngStateSchema>;

function uint32() {
  return z.number().int().min(0).max(0xffff_ffff);
}

const TWO_POW_32 = 0x1_0000_0000;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s: readonly [number, number, number, number]) {
    if ((s[0] | s[1] | s[2] | s[3]) === 0) {
      throw new InvalidConfig('rng state must not be all zero (xoshiro128** would only ever return 0)');
    }
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
  }

  /** A generator from a non-negative safe integer seed (all 53 bits matter). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InvalidConfig(`rng seed must be a non-negative safe integer, got ${seed}`);
    }
    const lo = seed % TWO_POW_32;
    const hi = Math.floor(seed / TWO_POW_32);
    let x = (lo ^ Math.imul(hi, 0x85eb_ca6b)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e37_79b9) | 0;
      words.push(splitmix32Mix(x));
    }
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    return new Rng([words[0], words[1], words[2], words[3]]);
  }

  /** A generator that continues exactly where the one that produced `state` stopped. */
  static fromState(state: RngState): Rng {
    const parsed = rngStateSchema.safeParse(state);
    if (!parsed.success) throw new InvalidConfig(`invalid rng state: ${parsed.error.message}`);
    return new Rng(parsed.data.s);
  }

  /** A plain-JSON copy of the state; later draws do not change it. */
  state(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /** Uniform in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n), without modulo bias (rejection sampling); n in [1, 2^32]. */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_32 && Number.isInteger(n))) {
      throw new InvalidConfig(`nextInt bound must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function splitmix32Mix(x: number): number {
  let t = x ^ (x >>> 16);
  t = Math.imul(t, 0x21f0_aaad);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a_2d97);
  t ^= t >>> 15;
  return t >>> 0;
}
