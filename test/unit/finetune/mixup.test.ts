import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { type MixupOptions, mixBatch } from '../../../lib/finetune/mixup.js';
import { FinetuneRng } from '../../../lib/finetune/random.js';

const options: MixupOptions = { mixupAlpha: 0.8, cutmixAlpha: 1.0, prob: 1, switchProb: 0.5, labelSmoothing: 0.1, numClasses: 2 };

/** N images of H×W×C where every value encodes (sample, position): distinct across samples. */
function batch(n: number, h: number, w: number, c = 3) {
  const images = new Float32Array(n * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(i / (h * w * c)) * 1000 + (i % (h * w * c)) * 0.001;
  return { images, n, heightPx: h, widthPx: w, channels: c };
}

describe('gamma / beta sampling (Marsaglia-Tsang)', () => {
  it('has the right means and variances for shapes below and above 1', () => {
    const rng = FinetuneRng.fromSeed(11);
    const stats = (draw: () => number, n = 20000) => {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        s += x;
        s2 += x * x;
      }
      const mean = s / n;
      return { mean, variance: s2 / n - mean * mean };
    };
    const g08 = stats(() => rng.gamma(0.8));
    expect(g08.mean).toBeCloseTo(0.8, 1);
    expect(g08.variance).toBeCloseTo(0.8, 1);
    const g3 = stats(() => rng.gamma(3));
    expect(g3.mean).toBeCloseTo(3, 1);
    expect(Math.abs(g3.variance - 3)).toBeLessThan(0.15);
    const b = stats(() => rng.beta(0.8, 0.8));
    expect(b.mean).toBeCloseTo(0.5, 2);
    expect(b.variance).toBeCloseTo(0.64 / (2.56 * 2.6), 2);
    const b2 = stats(() => rng.beta(2, 5));
    expect(b2.mean).toBeCloseTo(2 / 7, 2);
  });
});

describe('mixup / cutmix (timm batch mode)', () => {
  it('targets are smoothed, mixed with the flipped batch, and every row sums to 1', () => {
    const rng = FinetuneRng.fromSeed(1);
    const labels = [0, 1, 1, 1];
    for (let t = 0; t < 20; t++) {
      const out = mixBatch(batch(4, 6, 5), labels, options, rng);
      for (let i = 0; i < 4; i++) {
        expect(out.targets[2 * i] + out.targets[2 * i + 1]).toBeCloseTo(1, 6);
        const own = labels[i] === 1 ? [0.05, 0.95] : [0.95, 0.05];
        const other = labels[3 - i] === 1 ? [0.05, 0.95] : [0.95, 0.05];
        expect(out.targets[2 * i + 1]).toBeCloseTo(out.lam * own[1] + (1 - out.lam) * other[1], 6);
      }
    }
  });

  it('mixup blends each image with its mirror partner by λ', () => {
    const rng = FinetuneRng.fromSeed(2);
    const input = batch(4, 3, 3);
    let seen = false;
    for (let t = 0; t < 20 && !seen; t++) {
      const out = mixBatch(input, [0, 1, 0, 1], options, rng);
      if (out.kind !== 'mixup') continue;
      seen = true;
      const per = 27;
      for (let k = 0; k < per; k++) {
        expect(out.images[k]).toBeCloseTo(out.lam * input.images[k] + (1 - out.lam) * input.images[3 * per + k], 3);
      }
    }
    expect(seen).toBe(true);
  });

  it('cutmix pastes one box from the partner and λ equals 1 − box area / image area', () => {
    const rng = FinetuneRng.fromSeed(3);
    const [h, w] = [20, 16];
    const input = batch(2, h, w);
    let cutmixes = 0;
    for (let t = 0; t < 40; t++) {
      const out = mixBatch(input, [0, 1], options, rng);
      if (out.kind !== 'cutmix') continue;
      cutmixes++;
      const { y0, y1, x0, x1 } = out.box!;
      const per = h * w * 3;
      let fromPartner = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = (y * w + x) * 3;
          const inside = y >= y0 && y < y1 && x >= x0 && x < x1;
          // Sample 0 takes sample 1's pixels inside the box and keeps its own outside.
          expect(out.images[i]).toBe(inside ? input.images[per + i] : input.images[i]);
          if (out.images[i] !== input.images[i]) fromPartner++;
        }
      }
      expect(fromPartner).toBe((y1 - y0) * (x1 - x0));
      expect(out.lam).toBeCloseTo(1 - fromPartner / (h * w), 10);
    }
    expect(cutmixes).toBeGreaterThan(5);
  });

  it('switches between mixup and cutmix about half the time, is reproducible by seed, and refuses odd batches', () => {
    const rng = FinetuneRng.fromSeed(4);
    const kinds = Array.from({ length: 400 }, () => mixBatch(batch(2, 2, 2), [0, 1], options, rng).kind);
    const cut = kinds.filter((k) => k === 'cutmix').length;
    expect(cut).toBeGreaterThan(160);
    expect(cut).toBeLessThan(240);
    const a = mixBatch(batch(2, 8, 8), [0, 1], options, FinetuneRng.fromSeed(9));
    const b = mixBatch(batch(2, 8, 8), [0, 1], options, FinetuneRng.fromSeed(9));
    expect(b).toEqual(a);
    expect(mixBatch(batch(2, 2, 2), [0, 1], { ...options, prob: 0 }, rng).kind).toBe('none');
    expect(() => mixBatch(batch(3, 2, 2), [0, 1, 0], options, rng)).toThrow(InvalidConfig);
  });
});
