/**
 * Centre-aligned bicubic resize of 8-bit images, with the arithmetic of the reference's resize (PIL's
 * `Image.resize(..., BICUBIC)`, which the FSFM reference applies to its stored crops), so our 224 px faces are the
 * reference's bytes and landmarks mapped with u + 0.5 = (x + 0.5) * out / in sit on the same pixels.
 *
 * Why not sharp: libvips enlarges with a half-pixel shift (an impulse at x = 20 of a 46 px row lands at 99.82 of
 * 224 instead of (20.5 * 224 / 46) - 0.5 = 99.33), so landmarks and region maps sat 0.5 px off the stored image.
 *
 * The convolution, per axis: output pixel u samples the input at centre c = (u + 0.5) * scale with
 * scale = in / out; the kernel is Keys' cubic (a = -0.5) stretched by max(scale, 1) when shrinking (antialiasing);
 * its taps cover input pixels [round(c - support), round(c + support)) clipped to the image and are normalised to
 * sum 1, then turned into signed fixed point with 22 fractional bits (rounded half away from zero). Each output
 * value is (2^21 + sum of pixel * tap) >> 22 clamped to 0..255. Width first (on the rows the height pass needs),
 * then height, with the intermediate rounded to 8 bits as the reference does.
 */
import { InvalidConfig } from '../errors.js';

const FRACTION_BITS = 22;
const CUBIC_A = -0.5;
const CUBIC_SUPPORT = 2;

function cubic(x: number): number {
  const t = Math.abs(x);
  if (t < 1) return ((CUBIC_A + 2) * t - (CUBIC_A + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * CUBIC_A;
  return 0;
}

/** Taps of one axis: for output u, input pixels first[u] .. first[u] + count[u] - 1 with weights taps[u * width ..]. */
interface AxisTaps {
  first: Int32Array;
  count: Int32Array;
  taps: Int32Array;
  width: number;
}

const tapCache = new Map<string, AxisTaps>();

function axisTaps(inSize: number, outSize: number): AxisTaps {
  const cacheKey = `${inSize}>${outSize}`;
  const cached = tapCache.get(cacheKey);
  if (cached) return cached;
  const scale = inSize / outSize;
  const stretch = Math.max(scale, 1);
  const support = CUBIC_SUPPORT * stretch;
  const inverseStretch = 1 / stretch; // multiplied, not divided: the reference's rounding
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const taps = new Int32Array(outSize * width);
  const weights = new Float64Array(width);
  for (let u = 0; u < outSize; u++) {
    const centre = (u + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const n = hi - lo;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const w = cubic((k + lo - centre + 0.5) * inverseStretch);
      weights[k] = w;
      sum += w;
    }
    for (let k = 0; k < n; k++) {
      const w = sum !== 0 ? weights[k] / sum : weights[k];
      const fixed = w * (1 << FRACTION_BITS);
      taps[u * width + k] = fixed < 0 ? Math.trunc(fixed - 0.5) : Math.trunc(fixed + 0.5);
    }
    first[u] = lo;
    count[u] = n;
  }
  const result = { first, count, taps, width };
  if (tapCache.size > 64) tapCache.clear();
  tapCache.set(cacheKey, result);
  return result;
}

const HALF = 1 << (FRACTION_BITS - 1);
const MAX_SUM = 256 << FRACTION_BITS;

function clamp8(sum: number): number {
  if (sum >= MAX_SUM) return 255;
  if (sum <= 0) return 0;
  return sum >> FRACTION_BITS;
}

/**
 * Resizes packed 8-bit pixels (`channels` per pixel, row-major) from inW x inH to outW x outH; see the file comment.
 * Same size returns a copy.
 */
export function resizeBicubic(
  pixels: Uint8Array,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  channels = 3,
): Buffer {
  for (const [name, v] of [['inW', inW], ['inH', inH], ['outW', outW], ['outH', outH], ['channels', channels]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new InvalidConfig(`resize: ${name} must be a positive integer, got ${v}`);
  }
  if (pixels.length !== inW * inH * channels) {
    throw new InvalidConfig(`resize: ${pixels.length} bytes do not hold ${inW}x${inH}x${channels}`);
  }
  const horizontal = outW !== inW;
  const vertical = outH !== inH;
  const rowsY = axisTaps(inH, outH);
  // The input rows the vertical pass reads: only those go through the horizontal pass.
  const firstRow = vertical ? rowsY.first[0] : 0;
  const lastRow = vertical ? rowsY.first[outH - 1] + rowsY.count[outH - 1] : inH;
  let src: Uint8Array = pixels;
  let srcW = inW;
  let rowOffset = 0;
  if (horizontal) {
    const cols = axisTaps(inW, outW);
    const rows = lastRow - firstRow;
    const tmp = Buffer.allocUnsafe(rows * outW * channels);
    const { first, count, taps, width } = cols;
    for (let y = 0; y < rows; y++) {
      const inRow = (y + firstRow) * inW * channels;
      const outRow = y * outW * channels;
      for (let u = 0; u < outW; u++) {
        const n = count[u];
        const t0 = u * width;
        const p0 = inRow + first[u] * channels;
        for (let c = 0; c < channels; c++) {
          let sum = HALF;
          for (let k = 0; k < n; k++) sum += pixels[p0 + k * channels + c] * taps[t0 + k];
          tmp[outRow + u * channels + c] = clamp8(sum);
        }
      }
    }
    src = tmp;
    srcW = outW;
    rowOffset = firstRow;
  }
  if (!vertical) return src === pixels ? Buffer.from(pixels) : (src as Buffer);
  const out = Buffer.allocUnsafe(outW * outH * channels);
  const { first, count, taps, width } = rowsY;
  const stride = srcW * channels;
  for (let v = 0; v < outH; v++) {
    const n = count[v];
    const t0 = v * width;
    const base = (first[v] - rowOffset) * stride;
    const outRow = v * stride;
    for (let x = 0; x < stride; x++) {
      let sum = HALF;
      for (let k = 0; k < n; k++) sum += src[base + k * stride + x] * taps[t0 + k];
      out[outRow + x] = clamp8(sum);
    }
  }
  return out;
}
