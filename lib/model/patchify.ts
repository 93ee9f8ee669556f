/**
 * Images <-> patch sequences, channel last within each patch as in the reference's
 * einsum('nchpwq->nhwpqc'): value (i·p + j)·3 + c of patch (r, s) is pixel (r·p + i, s·p + j), channel c.
 * Patches are numbered row-major over the grid (k = r·g + s), matching the masks.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';

/** imgs: [N, H, W, 3] -> x: [N, L, p·p·3] with L = (H/p)·(W/p). */
export function patchify(imgs: tf.Tensor4D, patchSizePx: number): tf.Tensor3D {
  const [n, h, w, c] = imgs.shape;
  const p = patchSizePx;
  if (h % p !== 0 || w % p !== 0) throw new InvalidConfig(`image ${h}x${w} is not a whole number of ${p}px patches`);
  const gh = h / p;
  const gw = w / p;
  // Rank-4 steps only: [N·gh, p, gw, p·c] -> [N·gh, gw, p, p·c].
  return tf.tidy(() =>
    imgs
      .reshape([n * gh, p, gw, p * c])
      .transpose([0, 2, 1, 3])
      .reshape([n, gh * gw, p * p * c]),
  ) as tf.Tensor3D;
}

/** x: [N, L, p·p·3] -> imgs: [N, H, W, 3] for a square grid. */
export function unpatchify(x: tf.Tensor3D, patchSizePx: number): tf.Tensor4D {
  const [n, l, d] = x.shape;
  const p = patchSizePx;
  const g = Math.round(Math.sqrt(l));
  const c = d / (p * p);
  if (g * g !== l || c !== Math.round(c)) throw new InvalidConfig(`cannot unpatchify [${x.shape}] with ${p}px patches`);
  return tf.tidy(() =>
    x
      .reshape([n * g, g, p, p * c])
      .transpose([0, 2, 1, 3])
      .reshape([n, g * p, g * p, c]),
  ) as tf.Tensor4D;
}
