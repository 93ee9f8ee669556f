/**
 * Named parameters under the reference's (timm / PyTorch state_dict) names, stored in our layout.
 *
 * Name map and layouts (ours <-> PyTorch):
 *   layout 'same'        1-D LayerNorm weight/bias and Linear bias: identical values and shape.
 *   layout 'linear'      `<x>.weight` of an nn.Linear: ours [in, out] = transpose of PyTorch's [out, in],
 *                        so the forward pass is a plain x·W.
 *   layout 'patch-embed' `patch_embed.proj.weight`: ours [p·p·3, D], rows in patchify order
 *                        (row (i·p + j)·3 + c for pixel (i, j), channel c); PyTorch's Conv2d weight is
 *                        [D, 3, p, p]: torch[d][c][i][j] = ours[(i·p + j)·3 + c][d].
 *   layout 'token'       `cls_token`, `mask_token`: ours [1, D], PyTorch [1, 1, D] (same values).
 * Fixed sin-cos position embeddings (`pos_embed`, `decoder_pos_embed`) and the all-zero
 * `rep_decoder_pos_embed` are buffers in the reference (requires_grad=False); they are recomputed, not
 * stored here.
 */
import * as tf from '@tensorflow/tfjs';
import { type InitSpec, initValues } from './init.js';

export type ParamLayout = 'same' | 'linear' | 'patch-embed' | 'token';

export interface ParamSpec {
  name: string;
  shape: number[];
  torchShape: number[];
  layout: ParamLayout;
  init: InitSpec;
  /** AdamW weight decay applies (the reference's timm `add_weight_decay`: not to biases and 1-D params). */
  decay: boolean;
}

export class ParamStore {
  private readonly specs = new Map<string, ParamSpec>();
  private readonly vars = new Map<string, tf.Variable>();

  constructor(
    readonly seed: number,
    readonly trainable: boolean,
  ) {}

  add(spec: Omit<ParamSpec, 'decay' | 'torchShape'> & { torchShape?: number[] }): tf.Variable {
    if (this.specs.has(spec.name)) throw new Error(`parameter ${spec.name} registered twice`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const full: ParamSpec = {
      ...spec,
      torchShape: spec.torchShape ?? torchShapeOf(spec.layout, spec.shape),
      decay: spec.shape.length > 1 && !spec.name.endsWith('.bias'),
    };
    // Variable names are left to TensorFlow.js: they must be unique per process, and the online and
    // target networks (and tests) reuse our names.
    const variable = tf.tidy(() =>
      tf.variable(tf.tensor(initValues(spec.init, size, this.seed, spec.name), spec.shape), this.trainable),
    );
    this.specs.set(spec.name, full);
    this.vars.set(spec.name, variable);
    return variable;
  }

  linear(name: string, inDim: number, outDim: number, init?: InitSpec): void {
    this.add({
      name: `${name}.weight`,
      shape: [inDim, outDim],
      layout: 'linear',
      init: init ?? { kind: 'xavier-uniform', fanIn: inDim, fanOut: outDim },
    });
    this.add({ name: `${name}.bias`, shape: [outDim], layout: 'same', init: { kind: 'zeros' } });
  }

  layerNorm(name: string, dim: number): void {
    this.add({ name: `${name}.weight`, shape: [dim], layout: 'same', init: { kind: 'ones' } });
    this.add({ name: `${name}.bias`, shape: [dim], layout: 'same', init: { kind: 'zeros' } });
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  spec(name: string): ParamSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no parameter named ${name}`);
    return s;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** [name, variable] in registration order (encoder first, as in the reference's state_dict). */
  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  specsList(): ParamSpec[] {
    return [...this.specs.values()];
  }

  count(): number {
    let n = 0;
    for (const s of this.specs.values()) n += s.shape.reduce((a, b) => a * b, 1);
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.specs.clear();
  }
}

function torchShapeOf(layout: ParamLayout, shape: number[]): number[] {
  switch (layout) {
    case 'same':
      return shape.slice();
    case 'linear':
      return [shape[1], shape[0]];
    case 'token':
      return [1, ...shape];
    case 'patch-embed': {
      const [rows, dim] = shape;
      const p = Math.round(Math.sqrt(rows / 3));
      return [dim, 3, p, p];
    }
  }
}

/** Our values -> PyTorch's layout (row-major Float32Array of spec.torchShape). */
export function toTorchLayout(spec: ParamSpec, values: Float32Array): Float32Array {
  switch (spec.layout) {
    case 'same':
    case 'token':
      return values.slice();
    case 'linear':
      return transpose2d(values, spec.shape[0], spec.shape[1]);
    case 'patch-embed': {
      const [dim, , p] = spec.torchShape;
      const out = new Float32Array(values.length);
      for (let d = 0; d < dim; d++)
        for (let c = 0; c < 3; c++)
          for (let i = 0; i < p; i++)
            for (let j = 0; j < p; j++) out[((d * 3 + c) * p + i) * p + j] = values[((i * p + j) * 3 + c) * dim + d];
      return out;
    }
  }
}

/** PyTorch's layout -> ours; the inverse of toTorchLayout. */
export function fromTorchLayout(spec: ParamSpec, values: Float32Array): Float32Array {
  switch (spec.layout) {
    case 'same':
    case 'token':
      return values.slice();
    case 'linear':
      return transpose2d(values, spec.shape[1], spec.shape[0]);
    case 'patch-embed': {
      const [dim, , p] = spec.torchShape;
      const out = new Float32Array(values.length);
      for (let d = 0; d < dim; d++)
        for (let c = 0; c < 3; c++)
          for (let i = 0; i < p; i++)
            for (let j = 0; j < p; j++) out[((i * p + j) * 3 + c) * dim + d] = values[((d * 3 + c) * p + i) * p + j];
      return out;
    }
  }
}

function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}
