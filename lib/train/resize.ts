/**
 * Faces and region maps to the model's input size. Images are resampled (bicubic by default, as the
 * reference's transforms.Resize); label maps use nearest neighbour so that no label is invented.
 */
import sharp from 'sharp';

/** rgb: [sizePx, sizePx, 3] uint8 -> [outPx, outPx, 3] uint8 (a copy-free view when the size already fits). */
export async function resizeFace(rgb: Uint8Array, sizePx: number, outPx: number, kernel: 'cubic' | 'linear'): Promise<Uint8Array> {
  if (sizePx === outPx) return rgb;
  const { data } = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: sizePx, height: sizePx, channels: 3 } })
    .resize(outPx, outPx, { kernel, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * map: [sizePx²] labels -> [outPx²], nearest neighbour with pixel centres aligned: output pixel i reads
 * input pixel floor((i + 0.5) · sizePx / outPx) (torch's 'nearest-exact').
 */
export function resizeLabelsNearest(map: Uint8Array, sizePx: number, outPx: number): Uint8Array {
  if (sizePx === outPx) return map;
  const src = new Int32Array(outPx);
  for (let i = 0; i < outPx; i++) src[i] = Math.min(sizePx - 1, Math.floor(((i + 0.5) * sizePx) / outPx));
  const out = new Uint8Array(outPx * outPx);
  for (let y = 0; y < outPx; y++) {
    const row = src[y] * sizePx;
    for (let x = 0; x < outPx; x++) out[y * outPx + x] = map[row + src[x]];
  }
  return out;
}
