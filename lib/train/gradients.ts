/**
 * Gradient accumulation over `accumIter` forward passes and clipping by global norm.
 *
 * The reference divides each pass's loss by accum_iter and lets backward() sum into .grad, so one step's
 * gradient is (Σ passes' gradients) / accumIter, also when a pass was skipped.
 */
import * as tf from '@tensorflow/tfjs';

export class GradientAccumulator {
  private sums = new Map<string, tf.Tensor>();
  /** Passes added since the last reset. */
  passes = 0;

  /** Adds one pass's gradients and disposes them. */
  add(grads: Map<string, tf.Tensor>): void {
    for (const [name, g] of grads) {
      const prev = this.sums.get(name);
      if (prev) {
        this.sums.set(name, tf.add(prev, g));
        prev.dispose();
        g.dispose();
      } else {
        this.sums.set(name, g);
      }
    }
    grads.clear();
    this.passes += 1;
  }

  /** The step's gradients, Σ / accumIter; the caller owns (and disposes) the result. Resets the accumulator. */
  take(accumIter: number): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, sum] of this.sums) {
      out.set(name, accumIter === 1 ? sum : tf.tidy(() => tf.div(sum, accumIter)));
      if (accumIter !== 1) sum.dispose();
    }
    this.sums = new Map();
    this.passes = 0;
    return out;
  }

  dispose(): void {
    tf.dispose([...this.sums.values()]);
    this.sums.clear();
    this.passes = 0;
  }
}

/** √(Σ‖g‖²) over all gradients. */
export function globalNorm(grads: ReadonlyMap<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  return tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

/**
 * torch.nn.utils.clip_grad_norm_: scale every gradient by min(1, maxNorm / (norm + 1e-6)). Replaces the map's
 * tensors (disposing the old ones) and returns the norm before clipping.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const [name, g] of grads) {
      grads.set(name, tf.tidy(() => tf.mul(g, coef)));
      g.dispose();
    }
  }
  return norm;
}
