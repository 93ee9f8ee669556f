/**
 * Attention probabilities of every encoder block on unmasked images, for a pretrained FSFM network (its
 * encoder, all patches visible) or a finetuned classifier. Forward only; nothing is trained or kept.
 */
import * as tf from '@tensorflow/tfjs';
import { type FsfmNetwork, fullView, gridSize } from '../model/index.js';
import type { ClassifierModel } from '../model/heads.js';
import type { AttentionMaps, PatchGeometry } from './attention-metrics.js';

export type InspectedModel = FsfmNetwork | ClassifierModel;

function isClassifier(model: InspectedModel): model is ClassifierModel {
  return typeof (model as ClassifierModel).forwardTokens === 'function';
}

/** images: [N, H, W, 3] (normalised as the model expects) -> one AttentionMaps per encoder block, first block first. */
export function encoderAttention(model: InspectedModel, images: tf.Tensor4D): AttentionMaps[] {
  const maps: AttentionMaps[] = [];
  const onAttention = (probs: tf.Tensor4D) => {
    const [batch, heads, tokens] = probs.shape;
    maps.push({ data: probs.dataSync() as Float32Array, batch, heads, tokens });
  };
  tf.tidy(() => {
    if (isClassifier(model)) model.forwardTokens(images, false, onAttention);
    else model.forwardEncoder(images, fullView(images.shape[0], model.numPatches), { onAttention });
  });
  return maps;
}

/** Patch geometry of a model's encoder (one CLS token). */
export function patchGeometry(model: InspectedModel): PatchGeometry {
  return { gridSize: gridSize(model.arch), patchSizePx: model.arch.patchSizePx, prefixTokens: 1 };
}
