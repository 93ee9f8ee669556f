/**
 * Patch embedding of the encoder (pretraining and finetuning share it).
 *
 *   linear (ViT):  x = Linear(flattened p×p×3 patch)                          (`patch_embed.proj.*`)
 *   conv stem:     x = Linear(patch) + Linear(GELU(conv3×3(GELU(conv3×3(patch)))) flattened)
 *                  (`patch_embed.proj.*` as above, plus `patch_embed.stem.conv{1,2}.*` and `patch_embed.stem.proj.*`)
 *
 * The stem's two 3×3 convolutions run inside each patch (zero padding at the patch border), so a token sees only
 * its own pixels, as with the linear embedding: masking a patch for CRFR-P/MAE hides it completely (a stem that
 * crossed patch borders would leak hidden pixels into visible tokens). Its branch is added to the plain linear
 * embedding and starts at zero (its output Linear is zero-initialised), so at initialisation the encoder is the ViT.
 * Why: a linear map of raw pixels reaches local texture (e.g. the blur of a low-resolution pasted face) only weakly;
 * a few nonlinear local filters make it a first-layer feature (design/demo-learning.md).
 */
import * as tf from '@tensorflow/tfjs';
import { gelu, linear } from './ops.js';
import type { ParamStore } from './params.js';
import { patchify } from './patchify.js';
import type { FsfmArch } from './presets.js';

export type PatchEmbedKind = 'linear' | 'conv';

/** Registers the stem's parameters (none for `linear`); call right after `patch_embed.proj.*`. */
export function addStemParams(s: ParamStore, arch: FsfmArch): void {
  if ((arch.patchEmbed ?? 'linear') === 'linear') return;
  const c = arch.stemChannels ?? 16;
  const p = arch.patchSizePx;
  // Conv weights [3, 3, in, out] (TF.js layout; PyTorch's [out, in, 3, 3] is not needed: no reference has a stem).
  s.add({ name: 'patch_embed.stem.conv1.weight', shape: [3, 3, 3, c], layout: 'same', init: { kind: 'xavier-uniform', fanIn: 27, fanOut: 9 * c } });
  s.add({ name: 'patch_embed.stem.conv1.bias', shape: [c], layout: 'same', init: { kind: 'zeros' } });
  s.add({ name: 'patch_embed.stem.conv2.weight', shape: [3, 3, c, c], layout: 'same', init: { kind: 'xavier-uniform', fanIn: 9 * c, fanOut: 9 * c } });
  s.add({ name: 'patch_embed.stem.conv2.bias', shape: [c], layout: 'same', init: { kind: 'zeros' } });
  s.add({ name: 'patch_embed.stem.proj.weight', shape: [p * p * c, arch.embedDim], layout: 'linear', init: { kind: 'zeros' } });
  s.add({ name: 'patch_embed.stem.proj.bias', shape: [arch.embedDim], layout: 'same', init: { kind: 'zeros' } });
}

/** images [N, H, W, 3] -> patch tokens [N, L, D] (no position embedding). */
export function embedPatches(images: tf.Tensor4D, params: ParamStore, arch: FsfmArch): tf.Tensor3D {
  return tf.tidy(() => {
    const p = arch.patchSizePx;
    const get = (name: string) => params.get(name);
    const patches = patchify(images, p);
    const x = linear(patches, get('patch_embed.proj.weight') as tf.Tensor2D, get('patch_embed.proj.bias') as tf.Tensor1D) as tf.Tensor3D;
    if ((arch.patchEmbed ?? 'linear') === 'linear') return x;
    const [n, l] = patches.shape;
    const c = arch.stemChannels ?? 16;
    // patchify's rows are (i·p + j)·3 + c, i.e. each patch is a p×p×3 HWC image.
    const asImages = patches.reshape([n * l, p, p, 3]) as tf.Tensor4D;
    const conv = (t: tf.Tensor4D, name: string) =>
      gelu(tf.add(tf.conv2d(t, get(`${name}.weight`) as tf.Tensor4D, 1, 'same'), get(`${name}.bias`))) as tf.Tensor4D;
    const f = conv(conv(asImages, 'patch_embed.stem.conv1'), 'patch_embed.stem.conv2');
    const stem = linear(f.reshape([n, l, p * p * c]), get('patch_embed.stem.proj.weight') as tf.Tensor2D, get('patch_embed.stem.proj.bias') as tf.Tensor1D);
    return tf.add(x, stem) as tf.Tensor3D;
  });
}
