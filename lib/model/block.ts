/**
 * The one transformer block used everywhere (timm `Block`, pre-norm):
 *   x = x + dropPath(attn(norm1(x)));  x = x + dropPath(mlp(norm2(x)))
 * with qkv bias, MLP hidden = mlpRatio·D and exact GELU. LayerNorm, the attention sub-layer and the MLP are
 * each one custom-gradient op (ops.ts, attention.ts): what they keep for backprop is chosen by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { attention, attentionProbabilities } from './attention.js';
import { layerNorm, mlp } from './ops.js';
import type { ParamStore } from './params.js';

export interface BlockConfig {
  dim: number;
  numHeads: number;
  mlpRatio: number;
  normEps: number;
  /** Stochastic depth probability for this block (finetuning); 0 during pretraining. */
  dropPathRate?: number;
}

/** Registers `${prefix}.norm1/attn.qkv/attn.proj/norm2/mlp.fc1/mlp.fc2` parameters. */
export function addBlockParams(store: ParamStore, prefix: string, cfg: BlockConfig): void {
  const hidden = Math.round(cfg.dim * cfg.mlpRatio);
  store.layerNorm(`${prefix}.norm1`, cfg.dim);
  store.linear(`${prefix}.attn.qkv`, cfg.dim, 3 * cfg.dim);
  store.linear(`${prefix}.attn.proj`, cfg.dim, cfg.dim);
  store.layerNorm(`${prefix}.norm2`, cfg.dim);
  store.linear(`${prefix}.mlp.fc1`, cfg.dim, hidden);
  store.linear(`${prefix}.mlp.fc2`, hidden, cfg.dim);
}

export interface BlockRunOptions {
  /** Enables drop path; inference and the target branch never drop. */
  training?: boolean;
  /**
   * Analysis hook: called with this block's attention probabilities [B, H, T, T] (computed in addition to,
   * never instead of, the training path). The tensor dies when the caller's tidy ends: copy what you need.
   */
  onAttention?: (probs: tf.Tensor4D) => void;
  /**
   * Seeds this block's two drop-path draws (attention branch `noiseSeed`, MLP branch `noiseSeed + 1`), so a training
   * step's stochastic depth is a pure function of the seed; without it they come from TF.js's global RNG.
   */
  noiseSeed?: number;
}

/** The k-th seed after `seed` (a draw's own seed within one pass); none when the pass is unseeded. */
export function offsetSeed(seed: number | undefined, k: number): number | undefined {
  return seed === undefined ? undefined : seed + k;
}

/** x: [B, T, D] -> [B, T, D]. */
export function block(x: tf.Tensor3D, store: ParamStore, prefix: string, cfg: BlockConfig, run: BlockRunOptions = {}): tf.Tensor3D {
  const w = (name: string) => store.get(`${prefix}.${name}`);
  const rate = run.training ? (cfg.dropPathRate ?? 0) : 0;
  const h1 = layerNorm(x, w('norm1.weight') as tf.Tensor1D, w('norm1.bias') as tf.Tensor1D, cfg.normEps) as tf.Tensor3D;
  const attnParams = {
    qkvWeight: w('attn.qkv.weight') as tf.Tensor2D,
    qkvBias: w('attn.qkv.bias') as tf.Tensor1D,
    projWeight: w('attn.proj.weight') as tf.Tensor2D,
    projBias: w('attn.proj.bias') as tf.Tensor1D,
  };
  if (run.onAttention) run.onAttention(attentionProbabilities(h1, attnParams, cfg.numHeads));
  const a = attention(h1, attnParams, cfg.numHeads);
  const x1 = tf.add(x, dropPath(a, rate, run.noiseSeed)) as tf.Tensor3D;
  const [batch, tokens, dim] = x.shape;
  const h2 = layerNorm(x1.reshape([batch * tokens, dim]), w('norm2.weight') as tf.Tensor1D, w('norm2.bias') as tf.Tensor1D, cfg.normEps) as tf.Tensor2D;
  const m = mlp(h2, w('mlp.fc1.weight') as tf.Tensor2D, w('mlp.fc1.bias') as tf.Tensor1D, w('mlp.fc2.weight') as tf.Tensor2D, w('mlp.fc2.bias') as tf.Tensor1D);
  return tf.add(x1, dropPath(m.reshape([batch, tokens, dim]), rate, offsetSeed(run.noiseSeed, 1))) as tf.Tensor3D;
}

/**
 * Per-sample stochastic depth: zero the branch with probability `rate`, scale survivors by 1/(1−rate). x: [B, ...].
 * With `seed` the draw is a pure function of it (TF.js draws seeded uniforms in JavaScript, so every backend agrees).
 */
export function dropPath(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (rate <= 0) return x;
  const keep = 1 - rate;
  const shape = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
  const mask = tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep));
  return tf.mul(x, tf.div(mask, keep));
}
