/**
 * RandAugment as timm's `rand-m9-mstd0.5-inc1` (the MAE/FSFM finetune default), on uint8 RGB images.
 *
 * Per image: `numOps` (2) ops drawn uniformly with replacement from the 15 "increasing" ops below; each op runs
 * with probability `opProb` (0.5) at magnitude m ~ N(9, 0.5²) clipped to [0, 10]. Arguments at magnitude m
 * (timm's level functions; "±" = sign flipped with probability 1/2):
 *   AutoContrast, Equalize, Invert      -
 *   Rotate                              ±30·m/10 degrees about the centre
 *   ShearX / ShearY                     ±0.3·m/10
 *   TranslateXRel / TranslateYRel       ±0.45·m/10 of the width / height
 *   Brightness/Color/Contrast/SharpnessIncreasing   factor 1 ± 0.9·m/10
 *   PosterizeIncreasing                 keep 4 − ⌊4·m/10⌋ bits
 *   SolarizeIncreasing                  invert pixels ≥ 256 − ⌊256·m/10⌋
 *   SolarizeAdd                         add ⌊110·m/10⌋ to pixels < 128 (capped at 255)
 * The enhance ops and the lookup-table ops follow Pillow (ImageEnhance, ImageOps) including its truncating
 * blend; geometric ops fill with the normalisation mean colour (timm's img_mean) and sample bilinearly (Pillow
 * bicubic in timm).
 */
import type { RgbImage } from '../faces/image.js';
import type { FinetuneRng } from './random.js';
import { clampByte, warpAffine } from './resample.js';

export const RAND_AUGMENT_OPS = [
  'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing', 'SolarizeIncreasing', 'SolarizeAdd',
  'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing',
  'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
] as const;
export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

export interface RandAugmentOptions {
  numOps: number;
  magnitude: number;
  magnitudeStd: number;
  /** Upper clip of the sampled magnitude (timm's magnitude_max, 10). */
  magnitudeMax: number;
  opProb: number;
  ops: readonly RandAugmentOp[];
  /** Fill of the geometric ops, 0-255 RGB. */
  fill: readonly [number, number, number];
}

export function randAugment(image: RgbImage, options: RandAugmentOptions, rng: FinetuneRng): RgbImage {
  let out = image;
  for (let i = 0; i < options.numOps; i++) {
    const op = options.ops[rng.int(options.ops.length)];
    if (!rng.chance(options.opProb)) continue;
    let m = options.magnitude;
    if (options.magnitudeStd === Infinity) m = rng.uniform(0, m);
    else if (options.magnitudeStd > 0) m = m + options.magnitudeStd * rng.normal();
    m = Math.min(options.magnitudeMax, Math.max(0, m));
    out = applyOp(out, op, m, options.fill, rng);
  }
  return out;
}

/** One op at magnitude m in [0, 10]; `rng` draws the sign of signed arguments. */
export function applyOp(image: RgbImage, op: RandAugmentOp, m: number, fill: readonly [number, number, number], rng: FinetuneRng): RgbImage {
  const signed = (v: number) => (rng.next() > 0.5 ? -v : v);
  const level = m / 10;
  const { widthPx: w, heightPx: h } = image;
  switch (op) {
    case 'AutoContrast':
      return autoContrast(image);
    case 'Equalize':
      return equalize(image);
    case 'Invert':
      return mapLut(image, lutOf((v) => 255 - v));
    case 'Rotate':
      return rotate(image, signed(30 * level), fill);
    case 'ShearX':
      return warpAffine(image, [1, signed(0.3 * level), 0, 0, 1, 0], fill);
    case 'ShearY':
      return warpAffine(image, [1, 0, 0, signed(0.3 * level), 1, 0], fill);
    case 'TranslateXRel':
      return warpAffine(image, [1, 0, signed(0.45 * level) * w, 0, 1, 0], fill);
    case 'TranslateYRel':
      return warpAffine(image, [1, 0, 0, 0, 1, signed(0.45 * level) * h], fill);
    case 'PosterizeIncreasing':
      return posterize(image, 4 - Math.trunc(level * 4));
    case 'SolarizeIncreasing':
      return solarize(image, 256 - Math.trunc(level * 256));
    case 'SolarizeAdd':
      return solarizeAdd(image, Math.trunc(level * 110), 128);
    case 'BrightnessIncreasing':
      return brightness(image, 1 + signed(0.9 * level));
    case 'ColorIncreasing':
      return color(image, 1 + signed(0.9 * level));
    case 'ContrastIncreasing':
      return contrast(image, 1 + signed(0.9 * level));
    case 'SharpnessIncreasing':
      return sharpness(image, 1 + signed(0.9 * level));
  }
}

function lutOf(f: (v: number) => number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = clampByte(f(v));
  return lut;
}

/** Per-channel lookup tables (one table for all three when a single one is given). */
function mapLut(image: RgbImage, lut: Uint8Array | [Uint8Array, Uint8Array, Uint8Array]): RgbImage {
  const luts = Array.isArray(lut) ? lut : [lut, lut, lut];
  const src = image.rgb;
  const out = Buffer.allocUnsafe(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = luts[0][src[i]];
    out[i + 1] = luts[1][src[i + 1]];
    out[i + 2] = luts[2][src[i + 2]];
  }
  return { rgb: out, widthPx: image.widthPx, heightPx: image.heightPx };
}

function histograms(image: RgbImage): [Uint32Array, Uint32Array, Uint32Array] {
  const hs: [Uint32Array, Uint32Array, Uint32Array] = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  const src = image.rgb;
  for (let i = 0; i < src.length; i += 3) {
    hs[0][src[i]]++;
    hs[1][src[i + 1]]++;
    hs[2][src[i + 2]]++;
  }
  return hs;
}

/** ImageOps.autocontrast(cutoff=0): each channel stretched from [min, max] to [0, 255]. */
export function autoContrast(image: RgbImage): RgbImage {
  const luts = histograms(image).map((hist) => {
    let lo = 0;
    while (lo < 256 && hist[lo] === 0) lo++;
    let hi = 255;
    while (hi >= 0 && hist[hi] === 0) hi--;
    if (hi <= lo) return lutOf((v) => v);
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    return lutOf((v) => Math.trunc(v * scale + offset));
  }) as [Uint8Array, Uint8Array, Uint8Array];
  return mapLut(image, luts);
}

/** ImageOps.equalize: per-channel histogram equalisation with Pillow's step rule. */
export function equalize(image: RgbImage): RgbImage {
  const luts = histograms(image).map((hist) => {
    const nonZero = [...hist].filter((c) => c > 0);
    if (nonZero.length <= 1) return lutOf((v) => v);
    const step = Math.floor((nonZero.reduce((a, b) => a + b, 0) - nonZero[nonZero.length - 1]) / 255);
    if (step === 0) return lutOf((v) => v);
    const lut = new Uint8Array(256);
    let n = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = clampByte(Math.floor(n / step));
      n += hist[v];
    }
    return lut;
  }) as [Uint8Array, Uint8Array, Uint8Array];
  return mapLut(image, luts);
}

/** Keep the top `bits` bits (timm: 8 or more -> unchanged; 0 -> black). */
export function posterize(image: RgbImage, bits: number): RgbImage {
  if (bits >= 8) return image;
  const mask = ~((1 << (8 - Math.max(bits, 0))) - 1) & 0xff;
  return mapLut(image, lutOf((v) => v & mask));
}

/** Invert the pixels at or above `threshold`. */
export function solarize(image: RgbImage, threshold: number): RgbImage {
  return mapLut(image, lutOf((v) => (v < threshold ? v : 255 - v)));
}

/** Add `add` to the pixels below `threshold`, capped at 255. */
export function solarizeAdd(image: RgbImage, add: number, threshold: number): RgbImage {
  return mapLut(image, lutOf((v) => (v < threshold ? Math.min(255, v + add) : v)));
}

/** Pillow's Image.blend(degenerate, image, factor) for uint8: truncated, clipped to [0, 255]. */
function blend(degenerate: Uint8Array | Float32Array | number, image: RgbImage, factor: number): RgbImage {
  const src = image.rgb;
  const out = Buffer.allocUnsafe(src.length);
  const constant = typeof degenerate === 'number';
  for (let i = 0; i < src.length; i++) {
    const d = constant ? degenerate : degenerate[i];
    const v = d + factor * (src[i] - d);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  return { rgb: out, widthPx: image.widthPx, heightPx: image.heightPx };
}

/** ImageEnhance.Brightness: blend with black. */
export function brightness(image: RgbImage, factor: number): RgbImage {
  return blend(0, image, factor);
}

/** Pillow's RGB -> L: (19595·R + 38470·G + 7471·B + 2^15) >> 16. */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** ImageEnhance.Color: blend with the greyscale image. */
export function color(image: RgbImage, factor: number): RgbImage {
  const src = image.rgb;
  const grey = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const l = luma(src[i], src[i + 1], src[i + 2]);
    grey[i] = l;
    grey[i + 1] = l;
    grey[i + 2] = l;
  }
  return blend(grey, image, factor);
}

/** ImageEnhance.Contrast: blend with the mean grey level (rounded), a constant image. */
export function contrast(image: RgbImage, factor: number): RgbImage {
  const src = image.rgb;
  let sum = 0;
  for (let i = 0; i < src.length; i += 3) sum += luma(src[i], src[i + 1], src[i + 2]);
  const mean = Math.trunc(sum / (src.length / 3) + 0.5);
  return blend(mean, image, factor);
}

/** ImageEnhance.Sharpness: blend with ImageFilter.SMOOTH (3×3, centre 5, others 1, /13; border pixels kept). */
export function sharpness(image: RgbImage, factor: number): RgbImage {
  const { widthPx: w, heightPx: h, rgb: src } = image;
  const smooth = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) smooth[i] = src[i];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 4 * src[(y * w + x) * 3 + c];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += src[((y + dy) * w + x + dx) * 3 + c];
        // Pillow rounds the filtered value to 8 bits.
        smooth[(y * w + x) * 3 + c] = clampByte(Math.round(s / 13));
      }
    }
  }
  return blend(smooth, image, factor);
}

/** Image.rotate(degrees) (counter-clockwise) about the centre, same size, fill outside. */
export function rotate(image: RgbImage, degrees: number, fill: readonly [number, number, number]): RgbImage {
  const { widthPx: w, heightPx: h } = image;
  const a = (-degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const cx = w / 2;
  const cy = h / 2;
  // Output (x, y) -> source: rotate (x − cx, y − cy) by the inverse angle, then shift back.
  return warpAffine(image, [cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy], fill);
}
