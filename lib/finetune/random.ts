/**
 * Seeded draws for finetuning (augmentation, mixup/cutmix, sampling) on top of lib/masking's checkpointable
 * xoshiro128** generator, so a resumed run can continue the exact same stream (`state()` / `fromState`).
 *
 * Beta(a, b) is X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b); Gamma uses Marsaglia & Tsang (2000), with the
 * U^(1/a) boost for shapes below 1 (mixup's alpha is 0.8).
 */
import { createHash } from 'node:crypto';
import { InvalidConfig } from '../errors.js';
import { Rng, type RngState } from '../masking/rng.js';

export class FinetuneRng {
  private spareNormal: number | null = null;

  private constructor(private readonly rng: Rng) {}

  static fromSeed(seed: number): FinetuneRng {
    return new FinetuneRng(Rng.fromSeed(seed));
  }

  /** Continues the stream that produced `state`. A cached second Box-Muller normal is not part of it. */
  static fromState(state: RngState): FinetuneRng {
    return new FinetuneRng(Rng.fromState(state));
  }

  state(): RngState {
    return this.rng.state();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.rng.nextFloat();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.rng.nextFloat();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return this.rng.nextInt(n);
  }

  /** Uniform integer in [lo, hi] (both ends included, as Python's random.randint). */
  intInclusive(lo: number, hi: number): number {
    return lo + this.rng.nextInt(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.rng.nextFloat() < p;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    // 1 - u keeps log() away from 0.
    const r = Math.sqrt(-2 * Math.log(1 - this.rng.nextFloat()));
    const theta = 2 * Math.PI * this.rng.nextFloat();
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Gamma(shape, 1). */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new InvalidConfig(`gamma shape must be positive, got ${shape}`);
    if (shape < 1) {
      // Gamma(a) = Gamma(a + 1) · U^(1/a); 1 - u keeps the power away from 0^(1/a) = 0 exactly.
      return this.gamma(shape + 1) * Math.pow(1 - this.rng.nextFloat(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.rng.nextFloat(); // (0, 1]
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) in [0, 1]. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    const sum = x + y;
    // Both underflowing to 0 happens only for tiny shapes; pick a side at random as the limit does.
    return sum > 0 ? x / sum : this.chance(a / (a + b)) ? 1 : 0;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/**
 * A seed for one draw stream, from the run seed and the stream's coordinates: distinct streams never share
 * state, and each is recomputed from its coordinates alone on resume.
 */
export function subSeed(seed: number, stream: string, ...coords: number[]): number {
  const digest = createHash('sha256').update(`${seed}/${stream}/${coords.join('/')}`).digest();
  return digest.readUIntLE(0, 6);
}
