/**
 * Reconstructions of a pretrained FSFM network (supplement §F): for each masking strategy, the masked input, the
 * pixel decoder's reconstruction and the original face.
 *
 * With norm_pix_loss the decoder predicts each patch normalised by that patch's own mean and unbiased variance
 * (loss.ts); a prediction is only a picture once those statistics are put back. As MAE-style visualisations do
 * (e.g. run_mae_vis.py), the statistics are the original patch's, computed exactly as the loss computed its target
 * (over the patch's p·p·3 values, √(σ²_unbiased + 1e-6)); the reference repository itself ships no visualiser.
 * The reconstruction shows the decoder's prediction in the hidden patches and the original in the visible ones
 * (MAE's "reconstruction + visible"); the visible ones were never asked of the decoder.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import type { RgbImage } from '../faces/index.js';
import { evalTransform, type Normalization } from '../finetune/transforms.js';
import { MASKING_STRATEGIES, type MaskingStrategy } from '../masking/options.js';
import { Masker } from '../masking/masker.js';
import { Rng } from '../masking/rng.js';
import { FsfmNetwork } from '../model/fsfm.js';
import { maskIndexFrom } from '../model/mask-index.js';
import type { FsfmArch } from '../model/presets.js';
import { encodeFacePng } from '../prepare/png.js';
import type { ShardRecord } from '../prepare/shards.js';
import { resizeLabelsNearest } from '../train/resize.js';
import type { NamedArray } from '../train/tensor-file.js';

/** Added to the unbiased patch variance before the square root, as in the loss's target. */
export const NORM_PIX_EPS = 1e-6;

/** The grey of hidden patches in the masked input. */
const HIDDEN_GREY = 128;

export interface ReconstructionTriple {
  faceId: string;
  /** PNG, base64: the face with hidden patches grey. */
  maskedPngBase64: string;
  /** PNG, base64: decoder output in hidden patches, original in visible ones. */
  reconstructionPngBase64: string;
  /** PNG, base64: the face as the model saw it. */
  originalPngBase64: string;
  /** Mean squared error over the hidden patches' values in the loss's target space (normalised patches when normPixLoss). */
  hiddenMse: number;
}

export interface StrategyReconstructions {
  strategy: MaskingStrategy;
  maskRatio: number;
  faces: ReconstructionTriple[];
  /** Why the strategy could not run on these faces (e.g. no region maps); faces is then empty. */
  skipped?: string;
}

export interface ReconstructionSummary {
  imageSizePx: number;
  patchSizePx: number;
  normPixLoss: boolean;
  strategies: StrategyReconstructions[];
}

/**
 * patches: [N·L·P] (P = p·p·3, channel last within a patch) -> per patch mean and √(unbiased var + eps), each [N·L].
 * The statistics the norm-pix target divides by (loss.ts normalizePatches).
 */
export function patchStats(patches: Float32Array, patchValues: number, eps = NORM_PIX_EPS): { mean: Float64Array; scale: Float64Array } {
  if (patches.length % patchValues !== 0) throw new InvalidConfig(`${patches.length} values are not whole patches of ${patchValues}`);
  const count = patches.length / patchValues;
  const mean = new Float64Array(count);
  const scale = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const off = k * patchValues;
    let sum = 0;
    for (let i = 0; i < patchValues; i++) sum += patches[off + i];
    const m = sum / patchValues;
    let sq = 0;
    for (let i = 0; i < patchValues; i++) sq += (patches[off + i] - m) ** 2;
    mean[k] = m;
    scale[k] = Math.sqrt(sq / (patchValues - 1) + eps);
  }
  return { mean, scale };
}

/** pred: [N·L·P] normalised patches -> pred·scale + mean per patch (the inverse of the norm-pix target). */
export function denormalizePatches(pred: Float32Array, stats: { mean: Float64Array; scale: Float64Array }, patchValues: number): Float32Array {
  const out = new Float32Array(pred.length);
  for (let k = 0; k < stats.mean.length; k++) {
    const off = k * patchValues;
    for (let i = 0; i < patchValues; i++) out[off + i] = pred[off + i] * stats.scale[k] + stats.mean[k];
  }
  return out;
}

/**
 * [H·W·3] pixels of one image -> [L·P] patches, the same order as patchify (model/patchify.ts): value (i·p + j)·3 + c
 * of patch r·g + s is pixel (r·p + i, s·p + j), channel c. Plain arrays so the figures need no tensors.
 */
export function patchifyImage(pixels: Float32Array, sizePx: number, patchSizePx: number): Float32Array {
  const p = patchSizePx;
  const g = sizePx / p;
  if (!Number.isInteger(g)) throw new InvalidConfig(`${sizePx}px is not a whole number of ${p}px patches`);
  const out = new Float32Array(pixels.length);
  let o = 0;
  for (let r = 0; r < g; r++)
    for (let s = 0; s < g; s++)
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          const src = ((r * p + i) * sizePx + s * p + j) * 3;
          out[o++] = pixels[src];
          out[o++] = pixels[src + 1];
          out[o++] = pixels[src + 2];
        }
  return out;
}

/** The inverse of patchifyImage: [L·P] -> [H·W·3]. */
export function unpatchifyImage(patches: Float32Array, sizePx: number, patchSizePx: number): Float32Array {
  const p = patchSizePx;
  const g = sizePx / p;
  if (!Number.isInteger(g) || patches.length !== sizePx * sizePx * 3) throw new InvalidConfig(`cannot unpatchify ${patches.length} values into ${sizePx}px with ${p}px patches`);
  const out = new Float32Array(patches.length);
  let o = 0;
  for (let r = 0; r < g; r++)
    for (let s = 0; s < g; s++)
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          const dst = ((r * p + i) * sizePx + s * p + j) * 3;
          out[dst] = patches[o++];
          out[dst + 1] = patches[o++];
          out[dst + 2] = patches[o++];
        }
  return out;
}

/** Normalised model input [H·W·3] -> 8-bit RGB (x·std + mean, ×255, clipped). */
export function toRgb8(x: Float32Array, norm: Normalization): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % 3;
    out[i] = Math.max(0, Math.min(255, Math.round((x[i] * norm.std[c] + norm.mean[c]) * 255)));
  }
  return out;
}

/**
 * One face's three panels from the original input, the decoder output and the mask (all in the normalised input
 * space): [L·P] patches each; mask [L], 1 = hidden. Returns [H·W·3] arrays (still normalised) and the hidden MSE.
 */
export function reconstructionPanels(
  original: Float32Array,
  pred: Float32Array,
  mask: ArrayLike<number>,
  geometry: { sizePx: number; patchSizePx: number; normPixLoss: boolean },
): { masked: Float32Array; reconstruction: Float32Array; hiddenMse: number } {
  const P = geometry.patchSizePx * geometry.patchSizePx * 3;
  const stats = geometry.normPixLoss ? patchStats(original, P) : null;
  const predPx = stats ? denormalizePatches(pred, stats, P) : pred;
  const recon = new Float32Array(original.length);
  let sq = 0;
  let hiddenValues = 0;
  for (let k = 0; k < mask.length; k++) {
    const off = k * P;
    const hidden = mask[k] === 1;
    for (let i = 0; i < P; i++) {
      recon[off + i] = hidden ? predPx[off + i] : original[off + i];
      if (hidden) {
        const target = stats ? (original[off + i] - stats.mean[k]) / stats.scale[k] : original[off + i];
        sq += (pred[off + i] - target) ** 2;
      }
    }
    if (hidden) hiddenValues += P;
  }
  const masked = new Float32Array(original.length);
  for (let k = 0; k < mask.length; k++) {
    const off = k * P;
    for (let i = 0; i < P; i++) masked[off + i] = mask[k] === 1 ? Number.NaN : original[off + i];
  }
  return {
    masked: unpatchifyImage(masked, geometry.sizePx, geometry.patchSizePx),
    reconstruction: unpatchifyImage(recon, geometry.sizePx, geometry.patchSizePx),
    hiddenMse: hiddenValues ? sq / hiddenValues : 0,
  };
}

/** An online FSFM network (encoder and pixel decoder) with a checkpoint's online weights. */
export function onlineNetwork(arch: FsfmArch, weights: ReadonlyMap<string, NamedArray>): FsfmNetwork {
  const net = new FsfmNetwork({ arch, role: 'online' });
  const problems: string[] = [];
  for (const [name, v] of net.namedWeights()) {
    const w = weights.get(name);
    if (!w) problems.push(`${name} is missing`);
    else if (w.shape.length !== v.shape.length || w.shape.some((d, i) => d !== v.shape[i])) problems.push(`${name} has shape [${w.shape}], the model [${v.shape}]`);
    else tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
  }
  if (problems.length) {
    net.dispose();
    throw new InvalidConfig(`the checkpoint's online network does not fit its architecture: ${problems.slice(0, 4).join('; ')}`);
  }
  return net;
}

export interface ReconstructOptions {
  net: FsfmNetwork;
  normalization: Normalization;
  normPixLoss: boolean;
  maskRatio: number;
  records: readonly ShardRecord[];
  strategies?: readonly MaskingStrategy[];
  /** Seed of the masks (the same faces and seed give the same figures). */
  seed?: number;
}

/** Masks the faces with every strategy (one batch each, the same faces), decodes, and encodes the panels as PNG. */
export async function reconstructFaces(opts: ReconstructOptions): Promise<ReconstructionSummary> {
  const { net, normalization, records } = opts;
  const sizePx = net.arch.imageSizePx;
  const patchSizePx = net.arch.patchSizePx;
  const n = records.length;
  if (n === 0) throw new InvalidConfig('reconstruction needs at least one face');
  const per = sizePx * sizePx * 3;
  const pixels = new Float32Array(n * per);
  records.forEach((r, i) => {
    const image: RgbImage = { rgb: Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength), widthPx: r.sizePx, heightPx: r.sizePx };
    pixels.set(evalTransform(image, sizePx, 1, normalization), i * per);
  });
  const originals = records.map((_, i) => patchifyImage(pixels.subarray(i * per, (i + 1) * per), sizePx, patchSizePx));
  const originalPngs = await Promise.all(records.map((_, i) => encodeFacePng(toRgb8(pixels.subarray(i * per, (i + 1) * per), normalization), sizePx)));
  const hasMaps = records.every((r) => r.regionMap.length === r.sizePx * r.sizePx);
  const strategies: StrategyReconstructions[] = [];
  for (const strategy of opts.strategies ?? MASKING_STRATEGIES) {
    if (strategy !== 'random' && !hasMaps) {
      strategies.push({ strategy, maskRatio: opts.maskRatio, faces: [], skipped: 'the faces have no region maps (prepare with regionMaps on)' });
      continue;
    }
    const masker = new Masker({ strategy, maskRatio: opts.maskRatio, imageSizePx: sizePx, patchSizePx });
    const maps = records.map((r) => (r.regionMap.length ? resizeLabelsNearest(r.regionMap, r.sizePx, sizePx) : new Uint8Array(sizePx * sizePx)));
    const masks = masker.maskBatch(maps, Rng.fromSeed(opts.seed ?? 0));
    const L = masks.numPatches;
    const pred = tf.tidy(() => {
      const images = tf.tensor4d(pixels, [n, sizePx, sizePx, 3]);
      const index = maskIndexFrom(masks.mask, n, L);
      return net.forwardPixelDecoder(net.forwardEncoder(images, index), index).dataSync() as Float32Array;
    });
    const P = patchSizePx * patchSizePx * 3;
    const faces: ReconstructionTriple[] = [];
    for (let i = 0; i < n; i++) {
      const panels = reconstructionPanels(originals[i], pred.subarray(i * L * P, (i + 1) * L * P), masks.mask.subarray(i * L, (i + 1) * L), { sizePx, patchSizePx, normPixLoss: opts.normPixLoss });
      const masked = toRgb8(panels.masked, normalization);
      for (let k = 0; k < panels.masked.length; k++) if (Number.isNaN(panels.masked[k])) masked[k] = HIDDEN_GREY;
      const [maskedPng, reconPng] = await Promise.all([encodeFacePng(masked, sizePx), encodeFacePng(toRgb8(panels.reconstruction, normalization), sizePx)]);
      faces.push({
        faceId: records[i].faceId,
        maskedPngBase64: maskedPng.toString('base64'),
        reconstructionPngBase64: reconPng.toString('base64'),
        originalPngBase64: originalPngs[i].toString('base64'),
        hiddenMse: panels.hiddenMse,
      });
    }
    strategies.push({ strategy, maskRatio: opts.maskRatio, faces });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { imageSizePx: sizePx, patchSizePx, normPixLoss: opts.normPixLoss, strategies };
}
