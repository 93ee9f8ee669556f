/**
 * Finetuning classifiers (method notes §6): the FSFM encoder on all patches (no masking) plus a task head,
 * read like the reference's models_vit.py (global_pool=True) and cross_domain_FAS/fas.py.
 *
 *   forwardTokens:  patch embed + CLS, + pos_embed, blocks (drop path when training)  -> [N, 1+L, D]
 *                   No final norm: with global pooling the reference deletes `norm`.
 *   dfd head:       fc_norm(mean of patch tokens, CLS excluded) -> head Linear D -> 2
 *   fas head:       tokens with token 0 := fc_norm(mean of patch tokens)
 *                   -> bottleneck Linear D -> 512, ReLU, Dropout(0.5)
 *                   -> f / (√‖f‖ · √2), the norm over the tokens per channel as the reference computes it
 *                      (featureNormAxis 'channels' takes it per token instead)
 *                   -> classifier Linear 512 -> 2 on token 0, its weight re-normalised in place before every
 *                      forward (the reference's l2_norm(weight, axis=0): each input feature's pair of class
 *                      weights gets unit norm; classifierNorm 'per-class' normalises each class's row instead)
 *
 * Classes: index 1 = fake (attack), index 0 = real (bona fide); predictProba returns P(fake). The reference's FAS
 * code labels real = 1; feed it labels with fake = 1 and the model is the same up to swapping the two outputs.
 *
 * Unlike pretraining, pos_embed is a trainable parameter here (timm's VisionTransformer), initialised to the fixed
 * sin-cos table when loading an FSFM encoder, as loading the reference checkpoint does.
 *
 * Parameter names are timm's state_dict names (cls_token, pos_embed, patch_embed.proj.*, blocks.i.*, fc_norm.*,
 * head.*); the FAS head uses fas.py's names (embedder.bottleneck_layer_fc.*, classifier.classifier_layer.*) and
 * `referenceName` adds fas.py's `backbone.vit.` prefix to the rest. Layouts as in params.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import { type BlockConfig, type BlockRunOptions, addBlockParams, block, offsetSeed } from './block.js';
import { type HeadInit, headInitValues } from './heads-init.js';
import { type ClassifierOptions, type ClassifierOptionsInput, type HeadKind, classifierOptionsSchema } from './heads-options.js';
import type { NamedVariable } from './model.js';
import { resolveArch } from './presets.js';
import { l2Normalize, layerNorm, linear } from './ops.js';
import { ParamStore, type ParamSpec, fromTorchLayout } from './params.js';
import { addStemParams, embedPatches } from './patch-embed.js';
import { sinCosPosEmbed2d } from './pos-embed.js';
import { type FsfmArch, gridSize, numPatches } from './presets.js';

/** Name -> tensor, as a Map or the [name, variable] pairs that namedWeights() returns. */
export type WeightSource = ReadonlyMap<string, tf.Tensor> | Iterable<readonly [string, tf.Tensor]>;

export interface LoadEncoderOptions {
  /**
   * Where each of our encoder parameters is found in the source: a record (our name -> source name; names not in
   * it are looked up unchanged) or a function (undefined = not in the source). Default: the same name.
   */
  nameMap?: Readonly<Record<string, string>> | ((ourName: string) => string | undefined);
  /** `ours`: the layouts of namedWeights() (Linear [in, out]); `torch`: PyTorch state_dict layouts. Default ours. */
  layout?: 'ours' | 'torch';
  /** Throw InvalidConfig when an encoder parameter other than pos_embed is missing. Default true. */
  strict?: boolean;
}

export interface EncoderLoadReport {
  /** Our names that were copied from the source. */
  loaded: string[];
  /** Our encoder names the source lacked (pos_embed then holds the sin-cos table). */
  missing: string[];
  /** Source names that were not used (e.g. the pretraining `norm`, decoders, projector). */
  ignored: string[];
}

/** Bottleneck bias init in fas.py (bias.data.fill_(0.1)). */
const FAS_BOTTLENECK_BIAS = 0.1;

export class ClassifierModel {
  readonly options: ClassifierOptions;
  readonly arch: FsfmArch;
  readonly head: HeadKind;
  readonly params: ParamStore;
  readonly numPatches: number;
  private readonly blocks: BlockConfig[];

  /** A classifier initialised from scratch (timm init; see heads-init.ts). */
  constructor(input: ClassifierOptionsInput) {
    this.options = classifierOptionsSchema.parse(input);
    this.head = this.options.head;
    this.arch = resolveArch(this.options);
    const a = this.arch;
    const D = a.embedDim;
    const L = numPatches(a);
    this.numPatches = L;
    const dpr = this.options.dropPathRate;
    // torch.linspace(0, drop_path_rate, depth), as timm.
    this.blocks = Array.from({ length: a.depth }, (_, i) => ({
      dim: D, numHeads: a.numHeads, mlpRatio: a.mlpRatio, normEps: a.normEps,
      dropPathRate: a.depth > 1 ? (dpr * i) / (a.depth - 1) : dpr,
    }));

    const s = new ParamStore(this.options.seed, true);
    this.params = s;
    const patchDim = a.patchSizePx * a.patchSizePx * 3;
    const zeros = { kind: 'zeros' } as const;
    // Registration order is timm's state_dict order.
    s.add({ name: 'cls_token', shape: [1, D], layout: 'token', init: zeros });
    s.add({ name: 'pos_embed', shape: [1 + L, D], layout: 'token', init: zeros });
    s.add({ name: 'patch_embed.proj.weight', shape: [patchDim, D], layout: 'patch-embed', init: zeros });
    s.add({ name: 'patch_embed.proj.bias', shape: [D], layout: 'same', init: zeros });
    addStemParams(s, a);
    this.blocks.forEach((cfg, i) => addBlockParams(s, `blocks.${i}`, cfg));
    s.layerNorm('fc_norm', D);
    if (this.options.head === 'dfd') {
      s.linear('head', D, 2);
    } else {
      s.linear('embedder.bottleneck_layer_fc', D, this.options.bottleneckDim);
      s.linear('classifier.classifier_layer', this.options.bottleneckDim, 2);
    }
    for (const spec of s.specsList()) this.initParam(spec.name, this.scratchInit(spec));
  }

  /**
   * A classifier whose encoder comes from pretrained weights (an FSFM network's namedWeights(), or another
   * encoder through `load.nameMap`); fc_norm and the head keep their finetuning init.
   */
  static fromPretrained(input: ClassifierOptionsInput, weights: WeightSource, load: LoadEncoderOptions = {}): { model: ClassifierModel; report: EncoderLoadReport } {
    const model = new ClassifierModel(input);
    try {
      return { model, report: model.loadEncoderWeights(weights, load) };
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  /** Our encoder parameter names (patch embed, CLS, pos_embed, blocks), in state_dict order. */
  encoderParamNames(): string[] {
    return this.params.names().filter(isEncoderName);
  }

  /** fc_norm and the task head. */
  headParamNames(): string[] {
    return this.params.names().filter((n) => !isEncoderName(n));
  }

  /**
   * Copies encoder weights from `weights` (values are copied; the source stays owned by the caller). A source
   * without pos_embed (FSFM keeps it as a fixed buffer) leaves the sin-cos table with a zero CLS row.
   */
  loadEncoderWeights(weights: WeightSource, options: LoadEncoderOptions = {}): EncoderLoadReport {
    const source = toMap(weights);
    const layout = options.layout ?? 'ours';
    const strict = options.strict ?? true;
    const lookup = sourceNameOf(options.nameMap);
    const used = new Set<string>();
    const loaded: string[] = [];
    const missing: string[] = [];
    const pending: [string, Float32Array][] = [];
    for (const name of this.encoderParamNames()) {
      const from = lookup(name);
      const t = from === undefined ? undefined : source.get(from);
      if (!t || from === undefined) {
        missing.push(name);
        continue;
      }
      used.add(from);
      pending.push([name, this.valuesFrom(name, from, t, layout)]);
      loaded.push(name);
    }
    const fatal = missing.filter((n) => n !== 'pos_embed');
    if (strict && fatal.length) {
      throw new InvalidConfig(`encoder weights lack ${fatal.length} parameter(s): ${fatal.slice(0, 8).join(', ')}${fatal.length > 8 ? ', …' : ''}`);
    }
    // Nothing is written until every value has been checked.
    for (const [name, values] of pending) this.initParamValues(name, values);
    if (missing.includes('pos_embed')) {
      this.initParamValues('pos_embed', sinCosPosEmbed2d(this.arch.embedDim, gridSize(this.arch), true));
    }
    const ignored = [...source.keys()].filter((k) => !used.has(k));
    return { loaded, missing, ignored };
  }

  /** Restores every parameter (a checkpoint of this model, our layout); throws on a missing or misshapen one. */
  loadWeights(weights: WeightSource): void {
    const source = toMap(weights);
    const pending = this.params.names().map((name) => {
      const t = source.get(name);
      if (!t) throw new InvalidConfig(`checkpoint lacks parameter ${name}`);
      return [name, this.valuesFrom(name, name, t, 'ours')] as const;
    });
    for (const [name, values] of pending) this.initParamValues(name, values);
  }

  /**
   * images: [N, H, W, 3] (normalised) -> block outputs [N, 1+L, D], CLS first, no final norm. `noiseSeed` seeds the
   * drop-path draws when training (block i uses noiseSeed + 2i and + 2i + 1).
   */
  forwardTokens(images: tf.Tensor4D, training = false, onAttention?: BlockRunOptions['onAttention'], noiseSeed?: number): tf.Tensor3D {
    const [n, h, w] = images.shape;
    const size = this.arch.imageSizePx;
    if (h !== size || w !== size) throw new InvalidConfig(`images are ${h}×${w} px; this model takes ${size}×${size}`);
    return tf.tidy(() => {
      const D = this.arch.embedDim;
      const p = (name: string) => this.params.get(name);
      const x = embedPatches(images, this.params, this.arch);
      const cls = tf.broadcastTo(p('cls_token').reshape([1, 1, D]), [n, 1, D]);
      let t = tf.add(tf.concat([cls, x], 1), p('pos_embed')) as tf.Tensor3D;
      this.blocks.forEach((cfg, i) => {
        t = block(t, this.params, `blocks.${i}`, cfg, { training, onAttention, noiseSeed: offsetSeed(noiseSeed, 2 * i) });
      });
      return t;
    });
  }

  /** tokens: [N, 1+L, D] -> fc_norm(mean of the patch tokens): [N, D]. */
  pooledFeature(tokens: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [n, t, d] = tokens.shape;
      const patches = tokens.slice([0, 1, 0], [n, t - 1, d]);
      return layerNorm(tf.mean(patches, 1), this.params.get('fc_norm.weight') as tf.Tensor1D, this.params.get('fc_norm.bias') as tf.Tensor1D, this.arch.normEps) as tf.Tensor2D;
    });
  }

  /**
   * The FAS embedder on all tokens: token 0 := pooled feature, bottleneck, ReLU, dropout (training), scaling.
   * tokens: [N, 1+L, D] -> [N, 1+L, bottleneckDim]. `noiseSeed` seeds the dropout draw.
   */
  fasFeatures(tokens: tf.Tensor3D, training = false, noiseSeed?: number): tf.Tensor3D {
    const o = this.options;
    if (o.head !== 'fas') throw new InvalidConfig('fasFeatures needs a classifier with the fas head');
    return tf.tidy(() => {
      const [n, t, d] = tokens.shape;
      const pooled = this.pooledFeature(tokens).reshape([n, 1, d]);
      const x = tf.concat([pooled, tokens.slice([0, 1, 0], [n, t - 1, d])], 1);
      const p = (name: string) => this.params.get(`embedder.bottleneck_layer_fc.${name}`);
      let f = tf.relu(linear(x, p('weight') as tf.Tensor2D, p('bias') as tf.Tensor1D));
      if (training && o.dropoutRate > 0) f = tf.dropout(f, o.dropoutRate, undefined, noiseSeed);
      // torch.norm(f, dim=1).clamp(min=1e-12) ** 0.5 * √2; clamping the squared sum keeps sqrt's gradient finite.
      const sumSq = tf.sum(tf.square(f), o.featureNormAxis === 'tokens' ? 1 : 2, true);
      const scale = tf.mul(tf.sqrt(tf.sqrt(tf.maximum(sumSq, 1e-24))), Math.SQRT2);
      return tf.div(f, scale) as tf.Tensor3D;
    });
  }

  /** images: [N, H, W, 3] -> logits [N, 2] (index 1 = fake). FAS: re-normalises the classifier weight first. */
  forwardLogits(images: tf.Tensor4D, training = false): tf.Tensor2D {
    this.renormalizeClassifier();
    return this.logits(images, training);
  }

  /** images: [N, H, W, 3] -> P(fake) = softmax(logits)[:, 1], [N], inference mode. */
  predictProba(images: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => {
      const probs = tf.softmax(this.forwardLogits(images, false));
      return probs.slice([0, 1], [probs.shape[0], 1]).reshape([probs.shape[0]]) as tf.Tensor1D;
    });
  }

  /**
   * Loss value and d(loss)/d(θ) for every parameter, by name, in training mode (drop path, dropout).
   * `loss` maps logits [N, 2] to a scalar (e.g. lib/finetune's losses). Caller disposes grads. With `noiseSeed`
   * every random draw of the pass (drop path, the FAS head's dropout) is a pure function of it.
   */
  lossAndGradients(images: tf.Tensor4D, loss: (logits: tf.Tensor2D) => tf.Scalar, noiseSeed?: number): { loss: number; grads: Map<string, tf.Tensor> } {
    // Outside the gradient scope: the reference overwrites weight.data, so the norm itself is not differentiated.
    this.renormalizeClassifier();
    const named = this.params.entries();
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => loss(this.logits(images, true, noiseSeed))), named.map(([, v]) => v));
    const lossValue = value.dataSync()[0];
    value.dispose();
    const byName = new Map<string, tf.Tensor>();
    for (const [name, v] of named) {
      const g = grads[v.name];
      if (g) byName.set(name, g);
    }
    return { loss: lossValue, grads: byName };
  }

  /** The FAS classifier's weight re-normalised in place (fas.py does this at the start of every forward). */
  renormalizeClassifier(): void {
    const o = this.options;
    if (o.head !== 'fas') return;
    const w = this.params.get('classifier.classifier_layer.weight'); // ours [C, 2] = PyTorch's [2, C] transposed
    tf.tidy(() => {
      // PyTorch axis 0 (over the classes) is our last axis.
      const normed = o.classifierNorm === 'per-input' ? l2Normalize(w) : tf.transpose(l2Normalize(tf.transpose(w)));
      w.assign(normed);
    });
  }

  /** Parameters by timm / fas.py name, in state_dict order, for checkpoints and the optimiser. */
  namedWeights(): [string, tf.Variable][] {
    return this.params.entries();
  }

  trainableVariables(): NamedVariable[] {
    return this.params.entries().map(([name, variable]) => ({ name, variable, spec: this.params.spec(name) }));
  }

  /** The reference's state_dict key of one of our names (fas.py wraps the ViT as `backbone.vit`). */
  referenceName(name: string): string {
    if (this.options.head === 'fas' && !name.startsWith('embedder.') && !name.startsWith('classifier.')) return `backbone.vit.${name}`;
    return name;
  }

  dispose(): void {
    this.params.dispose();
  }

  /** images: [N, H, W, 3] -> logits [N, 2], with the classifier weight as it stands. */
  private logits(images: tf.Tensor4D, training: boolean, noiseSeed?: number): tf.Tensor2D {
    return tf.tidy(() => {
      const tokens = this.forwardTokens(images, training, undefined, noiseSeed);
      const p = (name: string) => this.params.get(name);
      if (this.options.head === 'dfd') {
        return linear(this.pooledFeature(tokens), p('head.weight') as tf.Tensor2D, p('head.bias') as tf.Tensor1D) as tf.Tensor2D;
      }
      // The dropout seed sits past the blocks' drop-path seeds.
      const f = this.fasFeatures(tokens, training, offsetSeed(noiseSeed, 2 * this.blocks.length));
      const [n, , c] = f.shape;
      const first = f.slice([0, 0, 0], [n, 1, c]).reshape([n, c]);
      return linear(first, p('classifier.classifier_layer.weight') as tf.Tensor2D, p('classifier.classifier_layer.bias') as tf.Tensor1D) as tf.Tensor2D;
    });
  }

  private scratchInit(spec: ParamSpec): HeadInit {
    const { name } = spec;
    const o = this.options;
    if (name === 'cls_token' || name === 'pos_embed') return { kind: 'trunc-normal', std: 0.02 };
    // The stem as PyTorch inits a Conv2d (U(±1/√fanIn)); its output Linear at zero, so the stem branch starts silent.
    if (name === 'patch_embed.stem.proj.weight') return { kind: 'zeros' };
    if (name.startsWith('patch_embed.stem.conv')) return { kind: 'uniform', bound: 1 / Math.sqrt(spec.shape.slice(0, 3).reduce((a, b) => a * b, 1)) };
    if (name.startsWith('patch_embed.stem.')) return { kind: 'zeros' };
    if (name.startsWith('patch_embed.')) return { kind: 'uniform', bound: 1 / Math.sqrt(this.arch.patchSizePx * this.arch.patchSizePx * 3) };
    if (o.head === 'dfd' && name === 'head.weight') return { kind: 'trunc-normal', std: o.headInitStd };
    if (o.head === 'fas') {
      if (name === 'embedder.bottleneck_layer_fc.weight') return { kind: 'normal', std: 0.005 };
      if (name === 'embedder.bottleneck_layer_fc.bias') return { kind: 'constant', value: FAS_BOTTLENECK_BIAS };
      if (name === 'classifier.classifier_layer.weight') return { kind: 'normal', std: 0.01 };
    }
    if (spec.layout === 'linear') return { kind: 'trunc-normal', std: 0.02 };
    // LayerNorm weights are the only 1-D parameters initialised to one.
    if (name.endsWith('norm1.weight') || name.endsWith('norm2.weight') || name === 'fc_norm.weight') return { kind: 'ones' };
    return { kind: 'zeros' };
  }

  private initParam(name: string, init: HeadInit): void {
    const spec = this.params.spec(name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    this.initParamValues(name, headInitValues(init, size, this.options.seed, name));
  }

  private initParamValues(name: string, values: Float32Array): void {
    const v = this.params.get(name);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape, 'float32')));
  }

  /** Source tensor -> our layout's values for parameter `name`, checking the size. */
  private valuesFrom(name: string, from: string, t: tf.Tensor, layout: 'ours' | 'torch'): Float32Array {
    const spec = this.params.spec(name);
    const expected = layout === 'ours' ? spec.shape : spec.torchShape;
    const size = expected.reduce((a, b) => a * b, 1);
    // Leading singleton dimensions may differ ([1, D] vs [1, 1, D]); the values may not.
    const squeeze = (s: readonly number[]) => s.slice(s.findIndex((d) => d !== 1) < 0 ? s.length : s.findIndex((d) => d !== 1)).join(',');
    if (t.size !== size || squeeze(t.shape) !== squeeze(expected)) {
      throw new InvalidConfig(`weight ${from} has shape [${t.shape}], parameter ${name} needs [${expected}] (${layout} layout)`);
    }
    const values = Float32Array.from(t.dataSync());
    return layout === 'ours' ? values : fromTorchLayout(spec, values);
  }
}

function isEncoderName(name: string): boolean {
  return name === 'cls_token' || name === 'pos_embed' || name.startsWith('patch_embed.') || name.startsWith('blocks.');
}

function toMap(weights: WeightSource): ReadonlyMap<string, tf.Tensor> {
  return weights instanceof Map ? weights : new Map(weights as Iterable<readonly [string, tf.Tensor]>);
}

function sourceNameOf(nameMap: LoadEncoderOptions['nameMap']): (ours: string) => string | undefined {
  if (!nameMap) return (n) => n;
  if (typeof nameMap === 'function') return nameMap;
  return (n) => (Object.prototype.hasOwnProperty.call(nameMap, n) ? nameMap[n] : n);
}
