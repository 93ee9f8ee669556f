/**
 * Class-balanced sampling over face records (frames) that carry a label and the video they came from.
 *
 * Rule: every class present gets the same total probability (1/K for K classes, so 1/2 for real and fake).
 *   within 'video' (default): inside a class every video gets an equal share, split equally over its frames:
 *                              w = 1 / (K · videos(class) · frames(video))
 *   within 'record':          inside a class every frame gets an equal share: w = 1 / (K · frames(class))
 * A record without a video id counts as a video of its own. Draws are with replacement (as PyTorch's
 * WeightedRandomSampler), from a seeded FinetuneRng, so an epoch of indices is reproducible.
 */
import { InvalidConfig } from '../errors.js';
import type { FinetuneRng } from './random.js';

export interface SampleRecord {
  /** 'fake' / 1 or 'real' / 0. */
  label: 'real' | 'fake' | 0 | 1;
  /** The video the frame belongs to (the manifest's `group`). */
  videoId?: string;
}

export type BalanceWithin = 'video' | 'record';

/** Sampling weights (sum 1) by the rule above. */
export function classBalancedWeights(records: readonly SampleRecord[], within: BalanceWithin = 'video'): Float64Array {
  if (records.length === 0) throw new InvalidConfig('cannot build a sampler over zero records');
  const classOf = (r: SampleRecord) => (r.label === 'fake' || r.label === 1 ? 1 : 0);
  const groupOf = (r: SampleRecord, i: number) => (within === 'record' ? `#${i}` : r.videoId !== undefined ? `v:${r.videoId}` : `#${i}`);
  // Per class: frames per group.
  const groups: [Map<string, number>, Map<string, number>] = [new Map(), new Map()];
  records.forEach((r, i) => {
    const g = groups[classOf(r)];
    const key = groupOf(r, i);
    g.set(key, (g.get(key) ?? 0) + 1);
  });
  const classes = groups.filter((g) => g.size > 0).length;
  const weights = new Float64Array(records.length);
  records.forEach((r, i) => {
    const g = groups[classOf(r)];
    weights[i] = 1 / (classes * g.size * (g.get(groupOf(r, i)) ?? 1));
  });
  return weights;
}

/** Draws indices with probability proportional to `weights` (cumulative table + binary search). */
export class WeightedSampler {
  private readonly cumulative: Float64Array;

  constructor(weights: ArrayLike<number>) {
    if (weights.length === 0) throw new InvalidConfig('cannot sample from zero weights');
    this.cumulative = new Float64Array(weights.length);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new InvalidConfig(`sampling weight ${i} is ${w}; weights must be finite and non-negative`);
      total += w;
      this.cumulative[i] = total;
    }
    if (!(total > 0)) throw new InvalidConfig('sampling weights sum to zero');
  }

  get size(): number {
    return this.cumulative.length;
  }

  next(rng: FinetuneRng): number {
    const total = this.cumulative[this.cumulative.length - 1];
    const u = rng.next() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** `count` indices (an epoch is usually records.length of them). */
  sample(count: number, rng: FinetuneRng): Int32Array {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.next(rng);
    return out;
  }
}

/** A sampler over `records` with class-balanced weights. */
export function classBalancedSampler(records: readonly SampleRecord[], within: BalanceWithin = 'video'): WeightedSampler {
  return new WeightedSampler(classBalancedWeights(records, within));
}
