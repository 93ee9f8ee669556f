/**
 * Per-image finetuning transforms on uint8 RGB (HWC) faces, producing normalised float HWC ready for a batch.
 * Deterministic given the FinetuneRng state.
 *
 * DfD / DiFF train (timm create_transform as MAE finetune calls it):
 *   RandomResizedCrop(scale, ratio, bicubic) -> horizontal flip -> RandAugment -> normalise -> random erasing
 * DfD / DiFF eval: resize the shorter side to ⌊size / cropPct⌋ (bicubic) -> centre crop size -> normalise.
 * FAS train (fas.py FASDataset): with p 0.5 saturation ×U(0.8, 1.2) -> resize to size (bicubic) -> flip -> normalise.
 * FAS eval: resize to size -> normalise.
 */
import type { RgbImage } from '../faces/image.js';
import { InvalidConfig } from '../errors.js';
import { roundHalfEven } from '../masking/grid.js';
import type { DfdAugmentOptions, FasAugmentOptions } from './options.js';
import { randAugment } from './rand-augment.js';
import { randomErase } from './random-erasing.js';
import type { FinetuneRng } from './random.js';
import { type Box, flipHorizontal, resizeBicubic } from './resample.js';

/** Per-channel mean and std on the [0, 1] scale. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** uint8 HWC -> float HWC, (v/255 − mean)/std per channel. */
export function normalize(image: RgbImage, norm: Normalization): Float32Array {
  const src = image.rgb;
  const out = new Float32Array(src.length);
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, c) => m / norm.std[c]);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = src[i] * scale[0] - shift[0];
    out[i + 1] = src[i + 1] * scale[1] - shift[1];
    out[i + 2] = src[i + 2] * scale[2] - shift[2];
  }
  return out;
}

/** timm's img_mean fill for geometric ops: the normalisation mean in 0-255. */
export function meanFill(norm: Normalization): [number, number, number] {
  return [0, 1, 2].map((c) => Math.min(255, Math.round(255 * norm.mean[c]))) as [number, number, number];
}

/** torchvision RandomResizedCrop.get_params: 10 tries at a random area/aspect, else the centre crop. */
export function randomResizedCropBox(widthPx: number, heightPx: number, scale: readonly [number, number], ratio: readonly [number, number], rng: FinetuneRng): Box {
  const area = widthPx * heightPx;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= widthPx && h <= heightPx) {
      const y0 = rng.intInclusive(0, heightPx - h);
      const x0 = rng.intInclusive(0, widthPx - w);
      return { x0, y0, x1: x0 + w, y1: y0 + h };
    }
  }
  const inRatio = widthPx / heightPx;
  let w = widthPx;
  let h = heightPx;
  if (inRatio < Math.min(...ratio)) h = Math.round(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = Math.round(h * Math.max(...ratio));
  const y0 = Math.floor((heightPx - h) / 2);
  const x0 = Math.floor((widthPx - w) / 2);
  return { x0, y0, x1: x0 + w, y1: y0 + h };
}

/** The uint8 part of the DfD train transform: crop, flip, RandAugment. -> sizePx × sizePx. */
export function dfdAugment(image: RgbImage, sizePx: number, options: DfdAugmentOptions, norm: Normalization, rng: FinetuneRng): RgbImage {
  const box = randomResizedCropBox(image.widthPx, image.heightPx, options.cropScale, options.cropRatio, rng);
  let out = resizeBicubic(image, sizePx, sizePx, box);
  if (rng.chance(options.hflipProb)) out = flipHorizontal(out);
  return randAugment(out, { ...options.randAugment, fill: meanFill(norm) }, rng);
}

/** DfD / DiFF train transform -> [sizePx, sizePx, 3] normalised float. */
export function dfdTrainTransform(image: RgbImage, sizePx: number, options: DfdAugmentOptions, norm: Normalization, rng: FinetuneRng): Float32Array {
  const out = normalize(dfdAugment(image, sizePx, options, norm, rng), norm);
  randomErase(out, sizePx, sizePx, 3, options.randomErasing, rng);
  return out;
}

/** torchvision Resize(⌊size/cropPct⌋) (shorter side) then CenterCrop(size); cropPct 1 = resize to size × size. */
export function evalResizeCrop(image: RgbImage, sizePx: number, cropPct: number): RgbImage {
  if (cropPct >= 1) return resizeBicubic(image, sizePx, sizePx);
  const short = Math.trunc(sizePx / cropPct);
  const { widthPx: w, heightPx: h } = image;
  const [rw, rh] = w <= h ? [short, Math.trunc((short * h) / w)] : [Math.trunc((short * w) / h), short];
  const resized = resizeBicubic(image, rw, rh);
  const top = roundHalfEven((rh - sizePx) / 2);
  const left = roundHalfEven((rw - sizePx) / 2);
  return crop(resized, left, top, sizePx, sizePx);
}

/** DfD / DiFF eval transform -> [sizePx, sizePx, 3] normalised float. */
export function evalTransform(image: RgbImage, sizePx: number, cropPct: number, norm: Normalization): Float32Array {
  return normalize(evalResizeCrop(image, sizePx, cropPct), norm);
}

/**
 * Scale HSV saturation by `factor` keeping hue and value: with V = max(r, g, b) each channel is V − S·V·f(hue),
 * so scaling S maps c -> V − factor·(V − c). Clipped to [0, 255] (the reference's float HSV round trip can leave
 * that range and then wraps in astype(uint8)) and rounded (it truncates).
 */
export function scaleSaturation(image: RgbImage, factor: number): RgbImage {
  const src = image.rgb;
  const out = Buffer.allocUnsafe(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const v = Math.max(src[i], src[i + 1], src[i + 2]);
    for (let c = 0; c < 3; c++) {
      const x = Math.round(v - factor * (v - src[i + c]));
      out[i + c] = x < 0 ? 0 : x > 255 ? 255 : x;
    }
  }
  return { rgb: out, widthPx: image.widthPx, heightPx: image.heightPx };
}

/** The uint8 part of the FAS train transform. -> sizePx × sizePx. */
export function fasAugment(image: RgbImage, sizePx: number, options: FasAugmentOptions, rng: FinetuneRng): RgbImage {
  let out = image;
  if (rng.chance(options.saturationProb)) out = scaleSaturation(out, rng.uniform(options.saturationRange[0], options.saturationRange[1]));
  out = resizeBicubic(out, sizePx, sizePx);
  return rng.chance(options.hflipProb) ? flipHorizontal(out) : out;
}

export function fasTrainTransform(image: RgbImage, sizePx: number, options: FasAugmentOptions, norm: Normalization, rng: FinetuneRng): Float32Array {
  return normalize(fasAugment(image, sizePx, options, rng), norm);
}

export function fasEvalTransform(image: RgbImage, sizePx: number, norm: Normalization): Float32Array {
  return normalize(resizeBicubic(image, sizePx, sizePx), norm);
}

function crop(image: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  if (x < 0 || y < 0 || x + w > image.widthPx || y + h > image.heightPx) {
    throw new InvalidConfig(`crop ${w}×${h} at (${x}, ${y}) does not fit a ${image.widthPx}×${image.heightPx} image`);
  }
  const out = Buffer.allocUnsafe(w * h * 3);
  for (let r = 0; r < h; r++) {
    const s = ((y + r) * image.widthPx + x) * 3;
    image.rgb.copy(out, r * w * 3, s, s + w * 3);
  }
  return { rgb: out, widthPx: w, heightPx: h };
}
