/**
 * Geometric resampling of uint8 RGB images in plain TypeScript (synchronous and deterministic, so augmentation
 * can run in a worker with no native calls).
 *
 * resizeBicubic follows Pillow's Image.resize(..., box) (what torchvision's RandomResizedCrop and Resize call):
 * separable passes (lib/faces/separable-resample.ts) with the Keys cubic (a = −0.5), the kernel widened by the scale factor when shrinking
 * (antialiasing), weights normalised per output pixel. Pillow rounds to 8 bits between the two passes and uses
 * fixed-point weights; this keeps the intermediate in float, so values may differ from Pillow's by ±1.
 * warpAffine samples bilinearly at pixel centres with a constant fill (RandAugment's rotate/shear/translate; timm
 * asks Pillow for bicubic there: bilinear is a documented simplification).
 */
import type { RgbImage } from '../faces/image.js';
import { type AxisTaps, resampleSeparable } from '../faces/separable-resample.js';
import { InvalidConfig } from '../errors.js';

/** A source rectangle in pixels; may be fractional. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const BICUBIC_SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Pillow's precompute_coeffs for one axis. */
function coefficients(inSize: number, from: number, to: number, outSize: number): AxisTaps {
  const scale = (to - from) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = BICUBIC_SUPPORT * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const weight = new Float64Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const center = from + (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const n = Math.max(hi - lo, 0);
    offset[o] = o * taps;
    for (let k = 0; k < n; k++) {
      const w = bicubic((k + lo - center + 0.5) / filterScale);
      weight[o * taps + k] = w;
      total += w;
    }
    if (total !== 0) for (let k = 0; k < n; k++) weight[o * taps + k] /= total;
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, offset, weight };
}

/** The `box` of `image` resized to outW × outH with Pillow's bicubic. Box defaults to the whole image. */
export function resizeBicubic(image: RgbImage, outW: number, outH: number, box?: Box): RgbImage {
  const { widthPx: w, heightPx: h, rgb } = image;
  if (!(outW >= 1 && outH >= 1 && Number.isInteger(outW) && Number.isInteger(outH))) throw new InvalidConfig(`resize target ${outW}×${outH} is not a positive integer size`);
  const b = box ?? { x0: 0, y0: 0, x1: w, y1: h };
  if (b.x0 < 0 || b.y0 < 0 || b.x1 > w || b.y1 > h || b.x1 <= b.x0 || b.y1 <= b.y0) {
    throw new InvalidConfig(`resize box [${b.x0}, ${b.x1})×[${b.y0}, ${b.y1}) is not inside a ${w}×${h} image`);
  }
  if (outW === w && outH === h && b.x0 === 0 && b.y0 === 0 && b.x1 === w && b.y1 === h) {
    return { rgb: Buffer.from(rgb), widthPx: w, heightPx: h };
  }
  return resampleSeparable(image, coefficients(w, b.x0, b.x1, outW), coefficients(h, b.y0, b.y1, outH));
}

/**
 * Inverse affine warp: output pixel (x, y) (centre at x + 0.5) takes the source at
 * (a·x + b·y + c, d·x + e·y + f), as Pillow's Image.transform(AFFINE, (a, b, c, d, e, f)); outside -> fill.
 */
export function warpAffine(image: RgbImage, m: readonly [number, number, number, number, number, number], fill: readonly [number, number, number]): RgbImage {
  const { widthPx: w, heightPx: h, rgb } = image;
  const [a, b, c, d, e, f] = m;
  const out = Buffer.allocUnsafe(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xc = x + 0.5;
      const yc = y + 0.5;
      // Source coordinates in pixel-index space (centres at integers).
      const sx = a * xc + b * yc + c - 0.5;
      const sy = d * xc + e * yc + f - 0.5;
      const o = (y * w + x) * 3;
      if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const xa = Math.min(Math.max(x0, 0), w - 1);
      const xb = Math.min(Math.max(x0 + 1, 0), w - 1);
      const ya = Math.min(Math.max(y0, 0), h - 1);
      const yb = Math.min(Math.max(y0 + 1, 0), h - 1);
      for (let ch = 0; ch < 3; ch++) {
        const top = rgb[(ya * w + xa) * 3 + ch] * (1 - fx) + rgb[(ya * w + xb) * 3 + ch] * fx;
        const bottom = rgb[(yb * w + xa) * 3 + ch] * (1 - fx) + rgb[(yb * w + xb) * 3 + ch] * fx;
        out[o + ch] = clampByte(Math.round(top * (1 - fy) + bottom * fy));
      }
    }
  }
  return { rgb: out, widthPx: w, heightPx: h };
}

/** Mirror left-right. */
export function flipHorizontal(image: RgbImage): RgbImage {
  const { widthPx: w, heightPx: h, rgb } = image;
  const out = Buffer.allocUnsafe(rgb.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + x * 3;
      const t = row + (w - 1 - x) * 3;
      out[t] = rgb[s];
      out[t + 1] = rgb[s + 1];
      out[t + 2] = rgb[s + 2];
    }
  }
  return { rgb: out, widthPx: w, heightPx: h };
}

export function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : v;
}
