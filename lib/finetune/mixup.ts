/**
 * Mixup / CutMix as timm's `Mixup` in 'batch' mode (the reference's default): one λ and one kind per batch,
 * sample i mixed with sample N−1−i (the batch flipped), targets mixed the same way with label smoothing.
 *
 *   with probability `prob`:  cutmix with probability `switchProb` (λ ~ Beta(cutmixAlpha)), else mixup
 *                              (λ ~ Beta(mixupAlpha)); a disabled side (alpha 0) forces the other.
 *   mixup:   x ← λ·x + (1−λ)·flip(x)
 *   cutmix:  a box of side √(1−λ)·(H, W) centred uniformly (clipped at the border) is pasted from flip(x);
 *            λ is then corrected to 1 − boxArea/(H·W), timm's correct_lam.
 *   targets: λ·smooth(y) + (1−λ)·smooth(flip(y)), smooth = one-hot with off s/C, on 1 − s + s/C.
 * The batch must be even, as timm requires. Images are float HWC, any normalisation.
 */
import { InvalidConfig } from '../errors.js';
import { smoothedOneHot } from './losses.js';
import type { FinetuneRng } from './random.js';

export interface MixupOptions {
  mixupAlpha: number;
  cutmixAlpha: number;
  /** Probability that a batch is mixed at all. */
  prob: number;
  /** Probability of cutmix when both are enabled. */
  switchProb: number;
  labelSmoothing: number;
  numClasses: number;
}

export interface ImageBatch {
  /** [N, H, W, C] float, row-major. */
  images: Float32Array;
  n: number;
  heightPx: number;
  widthPx: number;
  channels: number;
}

export interface MixedBatch {
  /** A new array; the input is left unchanged. */
  images: Float32Array;
  /** [N, numClasses], rows sum to 1. */
  targets: Float32Array;
  kind: 'none' | 'mixup' | 'cutmix';
  /** Weight of each sample's own label (after the cutmix correction). */
  lam: number;
  /** Pasted region for cutmix, [y0, y1) × [x0, x1). */
  box?: { y0: number; y1: number; x0: number; x1: number };
}

/** Draws the batch's kind and λ (timm's _params_per_batch). */
export function mixParams(options: MixupOptions, rng: FinetuneRng): { kind: MixedBatch['kind']; lam: number } {
  const { mixupAlpha, cutmixAlpha } = options;
  if (mixupAlpha < 0 || cutmixAlpha < 0) throw new InvalidConfig('mixup and cutmix alphas must be non-negative');
  if (mixupAlpha === 0 && cutmixAlpha === 0) return { kind: 'none', lam: 1 };
  if (!rng.chance(options.prob)) return { kind: 'none', lam: 1 };
  const cutmix = mixupAlpha > 0 && cutmixAlpha > 0 ? rng.chance(options.switchProb) : cutmixAlpha > 0;
  const alpha = cutmix ? cutmixAlpha : mixupAlpha;
  return { kind: cutmix ? 'cutmix' : 'mixup', lam: rng.beta(alpha, alpha) };
}

/** timm's rand_bbox with margin 0: centre uniform over the image, box clipped to it. */
export function cutmixBox(heightPx: number, widthPx: number, lam: number, rng: FinetuneRng): { y0: number; y1: number; x0: number; x1: number } {
  const ratio = Math.sqrt(1 - lam);
  const cutH = Math.trunc(heightPx * ratio);
  const cutW = Math.trunc(widthPx * ratio);
  const cy = rng.int(heightPx);
  const cx = rng.int(widthPx);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    y0: clip(cy - Math.floor(cutH / 2), heightPx),
    y1: clip(cy + Math.floor(cutH / 2), heightPx),
    x0: clip(cx - Math.floor(cutW / 2), widthPx),
    x1: clip(cx + Math.floor(cutW / 2), widthPx),
  };
}

/** Mixes a batch and its labels (class indices). */
export function mixBatch(batch: ImageBatch, labels: ArrayLike<number>, options: MixupOptions, rng: FinetuneRng): MixedBatch {
  const { n, heightPx: h, widthPx: w, channels: c } = batch;
  if (batch.images.length !== n * h * w * c) throw new InvalidConfig(`batch holds ${batch.images.length} values, [${n}, ${h}, ${w}, ${c}] needs ${n * h * w * c}`);
  if (labels.length !== n) throw new InvalidConfig(`${labels.length} labels for a batch of ${n}`);
  if (n % 2 !== 0) throw new InvalidConfig(`mixup/cutmix needs an even batch size, got ${n}`);
  const { kind, lam: drawn } = mixParams(options, rng);
  const images = batch.images.slice();
  const per = h * w * c;
  let lam = drawn;
  let box: MixedBatch['box'];
  if (kind === 'mixup') {
    for (let i = 0; i < n; i++) {
      const j = n - 1 - i;
      const a = i * per;
      const b = j * per;
      for (let k = 0; k < per; k++) images[a + k] = lam * batch.images[a + k] + (1 - lam) * batch.images[b + k];
    }
  } else if (kind === 'cutmix') {
    box = cutmixBox(h, w, drawn, rng);
    const rowLen = (box.x1 - box.x0) * c;
    for (let i = 0; i < n; i++) {
      const j = n - 1 - i;
      for (let y = box.y0; y < box.y1; y++) {
        const offset = (y * w + box.x0) * c;
        images.set(batch.images.subarray(j * per + offset, j * per + offset + rowLen), i * per + offset);
      }
    }
    lam = 1 - ((box.y1 - box.y0) * (box.x1 - box.x0)) / (h * w);
  }
  const own = smoothedOneHot(labels, options.numClasses, options.labelSmoothing);
  const targets = new Float32Array(own.length);
  const C = options.numClasses;
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i;
    for (let k = 0; k < C; k++) targets[i * C + k] = lam * own[i * C + k] + (1 - lam) * own[j * C + k];
  }
  return box ? { images, targets, kind, lam, box } : { images, targets, kind, lam };
}
