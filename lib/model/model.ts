/**
 * The FSFM pretraining model: online network, target network and the loss weights, with what an
 * optimiser and a step function need (named trainable variables, weight-decay groups, EMA).
 *
 * A training step, for the code that owns the optimiser:
 *   const { losses, grads } = model.lossAndGradients(batch);  // grads: name -> tensor
 *   if (!Number.isFinite(losses.lCl)) skip the batch; if (!Number.isFinite(losses.loss)) stop;
 *   adamw.apply(grads, model.paramGroups());                   // decay only on paramGroups().decay
 *   tf.dispose([...grads.values()]);
 *   model.updateTarget(iteration, totalIterations);            // after every data iteration, micro-steps included
 */
import * as tf from '@tensorflow/tfjs';
import { copyOnlineToTarget, emaMomentum, emaSharedNames, emaUpdate } from './ema.js';
import { type FsfmBatch, type FsfmLosses, FsfmNetwork, forwardLosses } from './fsfm.js';
import { type ModelOptions, type ModelOptionsInput, modelOptionsSchema } from './options.js';
import { type FsfmArch, resolveArch } from './presets.js';
import { tidyObject } from './ops.js';
import type { ParamSpec } from './params.js';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  spec: ParamSpec;
}

export interface LossValues {
  loss: number;
  lRec: number;
  lFr: number;
  lCl: number;
}

export { resolveArch };

export class FsfmModel {
  readonly options: ModelOptions;
  readonly arch: FsfmArch;
  readonly online: FsfmNetwork;
  readonly target: FsfmNetwork;

  constructor(input: ModelOptionsInput = {}) {
    this.options = modelOptionsSchema.parse(input);
    this.arch = resolveArch(this.options);
    const { seed, dropPathRate } = this.options;
    this.online = new FsfmNetwork({ arch: this.arch, role: 'online', seed, dropPathRate });
    this.target = new FsfmNetwork({ arch: this.arch, role: 'target', seed });
    copyOnlineToTarget(this.target, this.online);
  }

  /** Target branch on the unmasked images: [N, H, W, 3] -> [N, projectionDim], L2-normalised, no gradient. */
  targetFeatures(images: tf.Tensor4D): tf.Tensor2D {
    return this.target.embedFullView(images);
  }

  /** All losses of the online network; `targetFeatures` from targetFeatures() (computed if omitted). */
  losses(batch: FsfmBatch, targetFeatures?: tf.Tensor2D): FsfmLosses & { pred: tf.Tensor3D } {
    return tidyObject(() => {
      const z = targetFeatures ?? this.targetFeatures(batch.images);
      return forwardLosses(this.online, batch, z, this.options, { training: true });
    });
  }

  /** Loss values and d(loss)/d(θ) for every trainable (online) parameter, by name. Caller disposes grads. */
  lossAndGradients(batch: FsfmBatch): { losses: LossValues; grads: Map<string, tf.Tensor> } {
    const z = this.targetFeatures(batch.images);
    let parts: tf.Scalar[] = [];
    const named = this.online.namedWeights();
    const { value, grads } = tf.variableGrads(() => {
      const r = this.losses(batch, z);
      parts = [r.lRec, r.lFr, r.lCl].map((t) => tf.keep(t));
      return r.loss;
    }, named.map(([, v]) => v));
    const [lRec, lFr, lCl] = parts.map((t) => t.dataSync()[0]);
    const losses = { loss: value.dataSync()[0], lRec, lFr, lCl };
    tf.dispose([z, value, ...parts]);
    const byName = new Map<string, tf.Tensor>();
    for (const [name, v] of named) {
      const g = grads[v.name];
      if (g) byName.set(name, g);
    }
    return { losses, grads: byName };
  }

  /** Online parameters by reference name, in state_dict order. */
  trainableVariables(): NamedVariable[] {
    return this.online.namedWeights().map(([name, variable]) => ({ name, variable, spec: this.online.params.spec(name) }));
  }

  /** AdamW groups: weight decay on `decay` only (not biases, not 1-D params; CLS and mask tokens do decay). */
  paramGroups(): { decay: NamedVariable[]; noDecay: NamedVariable[] } {
    const all = this.trainableVariables();
    return { decay: all.filter((p) => p.spec.decay), noDecay: all.filter((p) => !p.spec.decay) };
  }

  /** Parameters copied into the target by the EMA (not the predictor, not the pixel decoder). */
  emaSharedNames(): string[] {
    return emaSharedNames(this.online, this.target);
  }

  /**
   * EMA step after data iteration `iteration` of `totalIterations` (the reference updates the target after every
   * data iteration, gradient-accumulation micro-steps included); returns the momentum used.
   */
  updateTarget(iteration: number, totalIterations: number): number {
    const m = emaMomentum(iteration, totalIterations, this.options.emaBase);
    emaUpdate(this.target, this.online, m);
    return m;
  }

  /** Both networks' variables under reference names, for checkpoints. */
  namedWeights(): { online: [string, tf.Variable][]; target: [string, tf.Variable][] } {
    return { online: this.online.namedWeights(), target: this.target.namedWeights() };
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
  }
}
