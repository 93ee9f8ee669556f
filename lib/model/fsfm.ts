/**
 * FSFM networks (method notes §3), read like the reference's models_fsfm.py:
 *
 *   online:  forwardEncoder (visible patches) ─┬─ forwardRepDecoder ─ mean ─ projector ─ predictor ─ L2
 *                                              └─ forwardPixelDecoder ─ forwardLoss
 *   target:  forwardEncoder (all patches) ─ forwardRepDecoder ─ mean ─ projector ─ L2   (no gradient, EMA)
 *
 * Tensors are float32, images NHWC [N, H, W, 3] already normalised by the dataset mean/std.
 * Parameter names follow the reference's state_dict (see params.ts for the layout map).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import { block, type BlockConfig, type BlockRunOptions, addBlockParams } from './block.js';
import { contrastiveLoss, type PixelLosses, pixelLosses, totalLoss } from './loss.js';
import { fullView, type MaskIndex, maskIndexFrom } from './mask-index.js';
import { layerNorm, linear, l2Normalize, permuteRows, tidyObject } from './ops.js';
import { ParamStore } from './params.js';
import { addStemParams, embedPatches } from './patch-embed.js';
import { patchify, unpatchify } from './patchify.js';
import { sinCosPosEmbed2d } from './pos-embed.js';
import { type FsfmArch, gridSize, numPatches, validateArch } from './presets.js';

export type NetworkRole = 'online' | 'target';

/** Projector / predictor MLP LayerNorm eps (nn.LayerNorm default in the reference's BYOLMLP). */
const HEAD_NORM_EPS = 1e-5;

export interface FsfmNetworkOptions {
  arch: FsfmArch;
  role: NetworkRole;
  seed?: number;
  /** Stochastic depth, linearly increasing over encoder blocks (finetuning). */
  dropPathRate?: number;
}

export class FsfmNetwork {
  readonly arch: FsfmArch;
  readonly role: NetworkRole;
  readonly params: ParamStore;
  readonly numPatches: number;
  private readonly posEmbedPatches: tf.Tensor2D; // [L, D]: the patch rows of pos_embed (its CLS row is zero)
  private readonly decoderPosEmbed: tf.Tensor2D | null; // [1+L, Dd]
  private readonly encoderBlock: BlockConfig[];
  private readonly repBlock: BlockConfig;
  private readonly pixBlock: BlockConfig;

  constructor(options: FsfmNetworkOptions) {
    const a = validateArch(options.arch);
    this.arch = a;
    this.role = options.role;
    this.numPatches = numPatches(a);
    const g = gridSize(a);
    const seed = options.seed ?? 0;
    const D = a.embedDim;
    const patchDim = a.patchSizePx * a.patchSizePx * 3;
    const dpr = options.dropPathRate ?? 0;
    this.encoderBlock = Array.from({ length: a.depth }, (_, i) => ({
      dim: D, numHeads: a.numHeads, mlpRatio: a.mlpRatio, normEps: a.normEps,
      dropPathRate: a.depth > 1 ? (dpr * i) / (a.depth - 1) : dpr,
    }));
    this.repBlock = { dim: D, numHeads: a.repDecoderNumHeads, mlpRatio: a.mlpRatio, normEps: a.normEps };
    this.pixBlock = { dim: a.decoderEmbedDim, numHeads: a.decoderNumHeads, mlpRatio: a.mlpRatio, normEps: a.normEps };

    // Registration order follows the reference's __init__ so that state_dict order matches.
    const s = new ParamStore(seed, options.role === 'online');
    this.params = s;
    // Patch embedding initialised like nn.Linear on the flattened patch (the reference's xavier on w.view(D, -1)).
    s.add({ name: 'patch_embed.proj.weight', shape: [patchDim, D], layout: 'patch-embed', init: { kind: 'xavier-uniform', fanIn: patchDim, fanOut: D } });
    s.add({ name: 'patch_embed.proj.bias', shape: [D], layout: 'same', init: { kind: 'zeros' } });
    addStemParams(s, a);
    s.add({ name: 'cls_token', shape: [1, D], layout: 'token', init: { kind: 'normal', std: 0.02 } });
    this.encoderBlock.forEach((cfg, i) => addBlockParams(s, `blocks.${i}`, cfg));
    s.layerNorm('norm', D);
    addMlpHead(s, 'projector', D, a.projectionHiddenDim, a.projectionDim);
    if (options.role === 'online') addMlpHead(s, 'predictor', a.projectionDim, a.projectionHiddenDim, a.projectionDim);
    s.add({ name: 'mask_token', shape: [1, D], layout: 'token', init: { kind: 'normal', std: 0.02 } });
    s.linear('rep_decoder_embed', D, D);
    for (let i = 0; i < a.repDecoderDepth; i++) addBlockParams(s, `rep_decoder_blocks.${i}`, this.repBlock);
    s.layerNorm('rep_decoder_norm', D);
    s.linear('rep_decoder_pred', D, D);
    if (options.role === 'online') {
      s.linear('decoder_embed', D, a.decoderEmbedDim);
      for (let i = 0; i < a.decoderDepth; i++) addBlockParams(s, `decoder_blocks.${i}`, this.pixBlock);
      s.layerNorm('decoder_norm', a.decoderEmbedDim);
      s.linear('decoder_pred', a.decoderEmbedDim, patchDim);
    }

    this.posEmbedPatches = tf.tensor2d(sinCosPosEmbed2d(D, g, false), [this.numPatches, D]);
    this.decoderPosEmbed =
      options.role === 'online' ? tf.tensor2d(sinCosPosEmbed2d(a.decoderEmbedDim, g), [this.numPatches + 1, a.decoderEmbedDim]) : null;
  }

  /** imgs: [N, H, W, 3] -> [N, L, p·p·3]. */
  patchify(imgs: tf.Tensor4D): tf.Tensor3D {
    return patchify(imgs, this.arch.patchSizePx);
  }

  /** x: [N, L, p·p·3] -> [N, H, W, 3]. */
  unpatchify(x: tf.Tensor3D): tf.Tensor4D {
    return unpatchify(x, this.arch.patchSizePx);
  }

  /** imgs: [N, H, W, 3], index of visible patches -> latent: [N, 1+Lv, D] (CLS first). */
  forwardEncoder(imgs: tf.Tensor4D, index: MaskIndex, run: BlockRunOptions = {}): tf.Tensor3D {
    const [, h, w] = imgs.shape;
    if (h !== this.arch.imageSizePx || w !== this.arch.imageSizePx) {
      throw new InvalidConfig(`images are ${h}×${w} px; this model takes ${this.arch.imageSizePx}×${this.arch.imageSizePx}`);
    }
    if (index.numPatches !== this.numPatches || index.batch !== imgs.shape[0]) {
      throw new InvalidConfig(`mask is for ${index.batch}×${index.numPatches} patches; the batch has ${imgs.shape[0]}×${this.numPatches}`);
    }
    return tf.tidy(() => {
      const n = imgs.shape[0];
      const D = this.arch.embedDim;
      const L = this.numPatches;
      const p = (name: string) => this.params.get(name);
      // Position embedding is added before the hidden patches are dropped.
      let x: tf.Tensor = tf.add(embedPatches(imgs, this.params, this.arch), this.posEmbedPatches);
      if (index.numVisible < L) {
        x = permuteRows(x.reshape([n * L, D]) as tf.Tensor2D, index.keepRows, index.visibleRowOf).reshape([n, index.numVisible, D]);
      }
      // pos_embed row 0 is zero, so the CLS token is just cls_token.
      const cls = tf.broadcastTo(p('cls_token').reshape([1, 1, D]), [n, 1, D]);
      let h = tf.concat([cls, x], 1) as tf.Tensor3D;
      this.encoderBlock.forEach((cfg, i) => {
        h = block(h, this.params, `blocks.${i}`, cfg, run);
      });
      return layerNorm(h, p('norm.weight') as tf.Tensor1D, p('norm.bias') as tf.Tensor1D, this.arch.normEps) as tf.Tensor3D;
    });
  }

  /** latent: [N, 1+Lv, D] -> per-token features: [N, 1+L, D] (CLS first). Position embedding is zero. */
  forwardRepDecoder(latent: tf.Tensor3D, index: MaskIndex): tf.Tensor3D {
    return tf.tidy(() => {
      const p = (name: string) => this.params.get(name);
      const x = linear(latent, p('rep_decoder_embed.weight') as tf.Tensor2D, p('rep_decoder_embed.bias') as tf.Tensor1D) as tf.Tensor3D;
      let h = this.withMaskTokens(x, index);
      for (let i = 0; i < this.arch.repDecoderDepth; i++) h = block(h, this.params, `rep_decoder_blocks.${i}`, this.repBlock);
      h = layerNorm(h, p('rep_decoder_norm.weight') as tf.Tensor1D, p('rep_decoder_norm.bias') as tf.Tensor1D, this.arch.normEps) as tf.Tensor3D;
      return linear(h, p('rep_decoder_pred.weight') as tf.Tensor2D, p('rep_decoder_pred.bias') as tf.Tensor1D) as tf.Tensor3D;
    });
  }

  /** latent: [N, 1+Lv, D] -> pred: [N, L, p·p·3] (CLS dropped). Online only. */
  forwardPixelDecoder(latent: tf.Tensor3D, index: MaskIndex): tf.Tensor3D {
    if (!this.decoderPosEmbed) throw new Error('the target network has no pixel decoder');
    const decoderPos = this.decoderPosEmbed;
    return tf.tidy(() => {
      const p = (name: string) => this.params.get(name);
      // Mask tokens join before the projection to the decoder width (the token is shared with the rep decoder).
      let h = linear(this.withMaskTokens(latent, index), p('decoder_embed.weight') as tf.Tensor2D, p('decoder_embed.bias') as tf.Tensor1D) as tf.Tensor3D;
      h = tf.add(h, decoderPos);
      for (let i = 0; i < this.arch.decoderDepth; i++) h = block(h, this.params, `decoder_blocks.${i}`, this.pixBlock);
      h = layerNorm(h, p('decoder_norm.weight') as tf.Tensor1D, p('decoder_norm.bias') as tf.Tensor1D, this.arch.normEps) as tf.Tensor3D;
      const out = linear(h, p('decoder_pred.weight') as tf.Tensor2D, p('decoder_pred.bias') as tf.Tensor1D) as tf.Tensor3D;
      const [n, t, d] = out.shape;
      return out.slice([0, 1, 0], [n, t - 1, d]);
    });
  }

  /** feat: [N, D] -> [N, projectionDim]. */
  projector(feat: tf.Tensor2D): tf.Tensor2D {
    return mlpHead(feat, this.params, 'projector');
  }

  /** z: [N, projectionDim] -> [N, projectionDim] (not normalised; see forwardOnlineFeatures). Online only. */
  predictor(z: tf.Tensor2D): tf.Tensor2D {
    if (this.role !== 'online') throw new Error('the target network has no predictor');
    return mlpHead(z, this.params, 'predictor');
  }

  /**
   * The representation branch: rep decoder, mean over all tokens incl. CLS, projector, then the predictor
   * for the online network. Output L2-normalised. latent: [N, 1+Lv, D] -> [N, projectionDim].
   */
  forwardRepresentation(latent: tf.Tensor3D, index: MaskIndex): tf.Tensor2D {
    return tf.tidy(() => {
      const feat = tf.mean(this.forwardRepDecoder(latent, index), 1) as tf.Tensor2D;
      const z = this.projector(feat);
      return l2Normalize(this.role === 'online' ? this.predictor(z) : z) as tf.Tensor2D;
    });
  }

  /** Target branch: the unmasked image -> L2-normalised projection [N, projectionDim]. Call outside gradient scopes. */
  embedFullView(imgs: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const index = fullView(imgs.shape[0], this.numPatches);
      return this.forwardRepresentation(this.forwardEncoder(imgs, index), index);
    });
  }

  /**
   * x: [N, 1+Lv, C] -> [N, 1+L, C]: visible tokens back in patch order, the shared mask token in hidden
   * slots (the reference's concat + gather by ids_restore).
   */
  private withMaskTokens(x: tf.Tensor3D, index: MaskIndex): tf.Tensor3D {
    const [n, t, c] = x.shape;
    const L = this.numPatches;
    if (index.numVisible === L) return x;
    const token = this.params.get('mask_token');
    if (token.shape[1] !== c) throw new Error(`mask token width ${token.shape[1]} does not match tokens of width ${c}`);
    const cls = x.slice([0, 0, 0], [n, 1, c]);
    const visible = x.slice([0, 1, 0], [n, t - 1, c]).reshape([n * (t - 1), c]) as tf.Tensor2D;
    const scattered = permuteRows(visible, index.visibleRowOf, index.keepRows); // [N·L, C], zero rows where hidden
    const hiddenCol = tf.tensor2d(index.hidden, [n * L, 1]);
    const full = tf.add(scattered, tf.mul(hiddenCol, token)).reshape([n, L, c]);
    return tf.concat([cls, full], 1) as tf.Tensor3D;
  }

  /** imgs: [N, H, W, 3], pred: [N, L, p·p·3], mask/region: N·L values -> { lRec, lFr } (see loss.ts). */
  forwardLoss(imgs: tf.Tensor4D, pred: tf.Tensor3D, mask: ArrayLike<number>, region: ArrayLike<number>, normPixLoss: boolean): PixelLosses {
    return forwardLoss(this, imgs, pred, mask, region, normPixLoss);
  }

  /** Trainable (online) or EMA-held (target) variables by reference name. */
  namedWeights(): [string, tf.Variable][] {
    return this.params.entries();
  }

  dispose(): void {
    this.params.dispose();
    this.posEmbedPatches.dispose();
    this.decoderPosEmbed?.dispose();
  }
}

/** BYOL MLP: Linear -> LayerNorm(eps 1e-5) -> ReLU -> Linear, kaiming-normal (fan-out) weights, zero bias. */
function addMlpHead(s: ParamStore, name: string, inDim: number, hidden: number, outDim: number): void {
  // Indices 0/1/3 are the reference's nn.Sequential positions (2 is the parameterless ReLU).
  s.linear(`${name}.projection_head.0`, inDim, hidden, { kind: 'kaiming-normal-fan-out', fanOut: hidden });
  s.layerNorm(`${name}.projection_head.1`, hidden);
  s.linear(`${name}.projection_head.3`, hidden, outDim, { kind: 'kaiming-normal-fan-out', fanOut: outDim });
}

/** x: [N, in] -> [N, out]. */
function mlpHead(x: tf.Tensor2D, s: ParamStore, name: string): tf.Tensor2D {
  return tf.tidy(() => {
    const w = (part: string) => s.get(`${name}.projection_head.${part}`);
    const h = linear(x, w('0.weight') as tf.Tensor2D, w('0.bias') as tf.Tensor1D);
    const a = tf.relu(layerNorm(h, w('1.weight') as tf.Tensor1D, w('1.bias') as tf.Tensor1D, HEAD_NORM_EPS));
    return linear(a, w('3.weight') as tf.Tensor2D, w('3.bias') as tf.Tensor1D) as tf.Tensor2D;
  });
}

export interface FsfmBatch {
  /** [N, H, W, 3], normalised. */
  images: tf.Tensor4D;
  /** N·L values, 1 = hidden (row-major [N, L]). */
  mask: ArrayLike<number>;
  /** N·L values, 1 = patch of the fully covered facial region F. */
  facialRegion: ArrayLike<number>;
}

export interface FsfmLosses {
  loss: tf.Scalar;
  lRec: tf.Scalar;
  lFr: tf.Scalar;
  lCl: tf.Scalar;
}

export interface LossWeights {
  normPixLoss: boolean;
  lambdaFr: number;
  lambdaCl: number;
}

/**
 * The online forward pass and all losses. `targetFeatures` ([N, K], from the target's embedFullView) is a
 * constant here: compute it before entering the gradient scope.
 */
export function forwardLosses(online: FsfmNetwork, batch: FsfmBatch, targetFeatures: tf.Tensor2D, weights: LossWeights, run: { training?: boolean } = {}): FsfmLosses & { pred: tf.Tensor3D } {
  return tidyObject(() => {
    const n = batch.images.shape[0];
    const L = online.numPatches;
    const index = maskIndexFrom(batch.mask, n, L);
    const latent = online.forwardEncoder(batch.images, index, run);
    const p = online.forwardRepresentation(latent, index);
    const pred = online.forwardPixelDecoder(latent, index);
    const { lRec, lFr } = online.forwardLoss(batch.images, pred, index.hidden, batch.facialRegion, weights.normPixLoss);
    const lCl = contrastiveLoss(p, targetFeatures);
    const loss = totalLoss({ lRec, lFr, lCl }, weights.lambdaFr, weights.lambdaCl);
    return { loss, lRec, lFr, lCl, pred };
  });
}

/** imgs: [N, H, W, 3], pred: [N, L, p·p·3], mask/region: N·L values -> { lRec, lFr }. */
export function forwardLoss(net: FsfmNetwork, imgs: tf.Tensor4D, pred: tf.Tensor3D, mask: ArrayLike<number>, region: ArrayLike<number>, normPixLoss: boolean): PixelLosses {
  return tidyObject(() => {
    const [n, L] = pred.shape;
    const hidden = tf.tensor2d(Float32Array.from(mask), [n, L]);
    const facial = tf.tensor2d(Float32Array.from(region), [n, L]);
    return pixelLosses(net.patchify(imgs), pred, hidden, facial, normPixLoss);
  });
}
