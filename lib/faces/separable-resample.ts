/**
 * Separable resampling of RGB images from per-axis taps: the one two-pass loop behind Pillow-style bicubic resizing
 * (lib/finetune/resample.ts) and the sample camera's triangle-kernel views (samples/camera.ts). Each caller builds
 * its own taps (kernel, support, border rule); this applies them, width first on only the source rows the height
 * pass reads, with a float32 intermediate, then rounds and clamps to 8 bits. Plain float arithmetic: the same bytes
 * on every machine.
 */
import type { RgbImage } from './image.js';

/**
 * Taps of one axis: output index o reads source indices first[o] .. first[o] + count[o] - 1 with the weights
 * weight[offset[o] ..]. `first` does not decrease with o.
 */
export interface AxisTaps {
  first: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weight: Float64Array;
}

/** image [H, W, 3] -> [rows.first.length, cols.first.length, 3] */
export function resampleSeparable(image: RgbImage, cols: AxisTaps, rows: AxisTaps): RgbImage {
  const widthPx = cols.first.length;
  const heightPx = rows.first.length;
  const firstRow = rows.first[0];
  const lastRow = rows.first[heightPx - 1] + rows.count[heightPx - 1] - 1;
  const src = image.rgb;
  const mid = new Float32Array(Math.max(lastRow - firstRow + 1, 0) * widthPx * 3);
  for (let r = firstRow; r <= lastRow; r++) {
    const rowBase = r * image.widthPx * 3;
    const outBase = (r - firstRow) * widthPx * 3;
    for (let u = 0; u < widthPx; u++) {
      let a = 0;
      let b = 0;
      let c = 0;
      const w0 = cols.offset[u];
      let p = rowBase + cols.first[u] * 3;
      for (let k = 0; k < cols.count[u]; k++, p += 3) {
        const w = cols.weight[w0 + k];
        a += w * src[p];
        b += w * src[p + 1];
        c += w * src[p + 2];
      }
      mid[outBase + u * 3] = a;
      mid[outBase + u * 3 + 1] = b;
      mid[outBase + u * 3 + 2] = c;
    }
  }
  const out = Buffer.allocUnsafe(widthPx * heightPx * 3);
  const rowStride = widthPx * 3;
  for (let v = 0; v < heightPx; v++) {
    const w0 = rows.offset[v];
    const base = (rows.first[v] - firstRow) * rowStride;
    const n = rows.count[v];
    for (let u = 0; u < widthPx; u++) {
      let a = 0;
      let b = 0;
      let c = 0;
      let p = base + u * 3;
      for (let k = 0; k < n; k++, p += rowStride) {
        const w = rows.weight[w0 + k];
        a += w * mid[p];
        b += w * mid[p + 1];
        c += w * mid[p + 2];
      }
      const o = (v * widthPx + u) * 3;
      out[o] = toByte(a);
      out[o + 1] = toByte(b);
      out[o + 2] = toByte(c);
    }
  }
  return { rgb: out, widthPx, heightPx };
}

function toByte(x: number): number {
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x);
}
