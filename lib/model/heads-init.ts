/**
 * Seeded initialisation of the finetuning classifiers, per parameter name (same streams as init.ts, so values do
 * not depend on creation order).
 *
 * From scratch, as timm's VisionTransformer (0.4.x, the reference's version) with the reference's head inits:
 *   cls_token, pos_embed            trunc_normal(std 0.02)
 *   Linear weights in the blocks    trunc_normal(std 0.02), bias 0
 *   patch_embed.proj (a Conv2d)     PyTorch's default U(±1/√fanIn) for weight and bias
 *   LayerNorms (incl. fc_norm)      weight 1, bias 0
 *   DfD head                        trunc_normal(std headInitStd = 2e-5, MAE finetune), bias 0
 *   FAS bottleneck                  N(0, 0.005), bias 0.1    (fas.py feature_embedder)
 *   FAS classifier                  N(0, 0.01), bias 0       (fas.py classifier)
 * timm's trunc_normal_ truncates at ±2 in absolute value (not in stds), which for these stds never bites.
 */
import { streamFor } from './init.js';

export type HeadInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; std: number }
  | { kind: 'trunc-normal'; std: number }
  | { kind: 'uniform'; bound: number };

export function headInitValues(init: HeadInit, size: number, seed: number, name: string): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'constant':
      return out.fill(init.value);
    case 'uniform': {
      const rand = streamFor(seed, name);
      for (let i = 0; i < size; i++) out[i] = (2 * rand() - 1) * init.bound;
      return out;
    }
    case 'normal':
    case 'trunc-normal': {
      const rand = streamFor(seed, name);
      const limit = init.kind === 'trunc-normal' ? 2 : Infinity;
      for (let i = 0; i < size; i++) {
        let z: number;
        do {
          // Box-Muller, one value per pair: simpler to redraw on truncation.
          z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) * init.std;
        } while (Math.abs(z) > limit);
        out[i] = z;
      }
      return out;
    }
  }
}
