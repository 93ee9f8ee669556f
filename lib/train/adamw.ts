/**
 * AdamW as torch.optim.AdamW (decoupled weight decay, bias-corrected moments), with its state as named
 * tensors so that a checkpoint can hold it and a resumed run continues bit for bit:
 *   θ ← θ·(1 − lr·wd)                         (decay group only)
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * With `decoupled: false` it is torch.optim.Adam's weight decay instead: g ← g + wd·θ before the moments (decay
 * group only), no θ·(1 − lr·wd) step (the FAS recipe).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import type { NamedVariable } from '../model/model.js';
import { fusedAdamW } from '../tensor/simd-kernels.js';

export interface AdamWOptions {
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  /** Per-parameter multiplier of the step's lr (e.g. finetuning's layer-wise decay); default 1. */
  lrScale?: (name: string) => number;
  /** true (default): AdamW's decoupled decay; false: Adam's L2 term added to the gradient. */
  decoupled?: boolean;
}

export interface AdamWParam {
  name: string;
  variable: tf.Variable;
  decay: boolean;
  lrScale: number;
}

/** Moment tensors by name: `exp_avg.<param>` and `exp_avg_sq.<param>` (torch's state keys). */
export interface AdamWState {
  stepCount: number;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

export class AdamW {
  readonly params: AdamWParam[];
  private readonly expAvg = new Map<string, tf.Variable>();
  private readonly expAvgSq = new Map<string, tf.Variable>();
  /** Optimizer steps taken (t in the bias corrections). */
  stepCount = 0;

  constructor(
    groups: { decay: NamedVariable[]; noDecay: NamedVariable[] },
    readonly options: AdamWOptions,
  ) {
    const scale = (name: string) => options.lrScale?.(name) ?? 1;
    const params = [
      ...groups.decay.map((p) => ({ name: p.name, variable: p.variable, decay: true, lrScale: scale(p.name) })),
      ...groups.noDecay.map((p) => ({ name: p.name, variable: p.variable, decay: false, lrScale: scale(p.name) })),
    ];
    // One fixed order (by name) so that state files and the update order never depend on group order.
    this.params = params.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const p of this.params) {
      if (this.expAvg.has(p.name)) throw new InvalidConfig(`parameter ${p.name} is in both AdamW groups`);
      // Inside tidy: tf.variable keeps its own reference, the zeros tensor itself must not outlive this.
      this.expAvg.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
      this.expAvgSq.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    }
  }

  /** One step with learning rate `lr`. Parameters without a gradient are left alone (as torch does). */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.stepCount += 1;
    const [beta1, beta2] = this.options.betas;
    const { eps, weightDecay } = this.options;
    const decoupled = this.options.decoupled ?? true;
    const bc1 = 1 - beta1 ** this.stepCount;
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.stepCount);
    // One tidy per parameter: a single tidy around the loop would hold every parameter's temporaries
    // (~10 tensors of its size) until the end, several GB for ViT-B, past the 4 GiB wasm heap.
    for (const p of this.params) {
      const grad = grads.get(p.name);
      if (!grad) continue;
      tf.tidy(() => {
        const lrP = lr * p.lrScale;
        const stepSize = lrP / bc1;
        const m = this.expAvg.get(p.name)!;
        const v = this.expAvgSq.get(p.name)!;
        const l2 = !decoupled && p.decay && weightDecay > 0;
        const g = l2 ? tf.add(grad, tf.mul(p.variable, weightDecay)) : grad;
        const decays = decoupled && p.decay && weightDecay > 0;
        // wasm: the same float32 operations in one pass (lib/tensor/simd-kernels.ts), bit-identical to the ops below.
        const fused = fusedAdamW(p.variable, m, v, g, {
          decayFactor: decays ? 1 - lrP * weightDecay : 1,
          beta1,
          oneMinusBeta1: 1 - beta1,
          beta2,
          oneMinusBeta2: 1 - beta2,
          sqrtBiasCorrection2: sqrtBc2,
          eps,
          stepSize,
        });
        if (fused) {
          p.variable.assign(fused[0]);
          m.assign(fused[1]);
          v.assign(fused[2]);
          return;
        }
        const theta = decays ? tf.mul(p.variable, 1 - lrP * weightDecay) : p.variable;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v1), sqrtBc2), eps);
        m.assign(m1);
        v.assign(v1);
        p.variable.assign(tf.sub(theta, tf.mul(tf.div(m1, denom), stepSize)));
      });
    }
  }

  /** A copy of the state (moments read back from the backend). */
  state(): AdamWState {
    const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const p of this.params) {
      const m = this.expAvg.get(p.name)!;
      const v = this.expAvgSq.get(p.name)!;
      tensors.set(`exp_avg.${p.name}`, { shape: m.shape.slice(), values: m.dataSync() as Float32Array });
      tensors.set(`exp_avg_sq.${p.name}`, { shape: v.shape.slice(), values: v.dataSync() as Float32Array });
    }
    return { stepCount: this.stepCount, tensors };
  }

  /** Restores a state written by state(); every moment must be present with its parameter's shape. */
  loadState(state: AdamWState): void {
    const problems: string[] = [];
    for (const p of this.params) {
      for (const [prefix, slot] of [['exp_avg', this.expAvg], ['exp_avg_sq', this.expAvgSq]] as const) {
        const t = state.tensors.get(`${prefix}.${p.name}`);
        const want = p.variable.shape;
        if (!t) problems.push(`missing ${prefix}.${p.name}`);
        else if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
          problems.push(`${prefix}.${p.name} has shape [${t.shape}], the parameter [${want}]`);
        } else tf.tidy(() => slot.get(p.name)!.assign(tf.tensor(t.values, want)));
      }
    }
    if (problems.length) throw new InvalidConfig(`optimizer state does not fit the model: ${problems.slice(0, 5).join('; ')}`);
    this.stepCount = state.stepCount;
  }

  dispose(): void {
    for (const v of [...this.expAvg.values(), ...this.expAvgSq.values()]) v.dispose();
    this.expAvg.clear();
    this.expAvgSq.clear();
  }
}
