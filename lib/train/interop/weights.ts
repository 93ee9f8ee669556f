/**
 * Weights in and out under the reference's PyTorch / timm names and layouts (lib/model/params.ts holds the
 * name and layout map):
 *   - the encoder as safetensors, loadable by timm's VisionTransformer (`pos_embed` included, [1, 1+L, D]);
 *   - any of our networks from a state dict (a safetensors file or the 'model' entry of the reference's .pth).
 * Position embeddings are fixed sin-cos buffers here: exported for timm, recomputed (not read) on import.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../../errors.js';
import type { FsfmNetwork } from '../../model/fsfm.js';
import { fromTorchLayout, toTorchLayout } from '../../model/params.js';
import { sinCosPosEmbed2d } from '../../model/pos-embed.js';
import { archFromMetadata, archMetadata, assertSameArch, ENCODER_ARCH_FIELDS, encoderArch, gridSize } from '../../model/presets.js';
import type { NamedArray } from '../tensor-file.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { openTorchCheckpoint, torchCheckpointArch } from './torch.js';

/** Reference buffers (requires_grad=False) that we recompute instead of storing. */
export const POSITION_BUFFERS = ['pos_embed', 'decoder_pos_embed', 'rep_decoder_pos_embed'] as const;

/** The encoder's parameters (timm ViT names): patch embedding, CLS token, blocks, final norm. */
export function isEncoderParam(name: string): boolean {
  return name.startsWith('patch_embed.') || name === 'cls_token' || name.startsWith('blocks.') || name.startsWith('norm.');
}

/** A network's parameters in PyTorch layout, in state_dict order (optionally only those `include` accepts). */
export function torchStateDict(network: FsfmNetwork, include: (name: string) => boolean = () => true): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, v] of network.namedWeights()) {
    if (!include(name)) continue;
    const spec = network.params.spec(name);
    out.set(name, { shape: spec.torchShape.slice(), values: toTorchLayout(spec, v.dataSync() as Float32Array) });
  }
  return out;
}

/** The encoder as safetensors (F32), with `pos_embed` [1, 1+L, D] (zero CLS row) as timm expects. */
export function exportEncoderSafetensors(network: FsfmNetwork, metadata: Record<string, string> = {}): Buffer {
  const dict = torchStateDict(network, isEncoderParam);
  const { embedDim } = network.arch;
  const entries: [string, NamedArray][] = [];
  for (const [name, t] of dict) {
    entries.push([name, t]);
    // Next to cls_token, as in timm's state_dict (loaders match by name; the order is for readers).
    if (name === 'cls_token') {
      entries.push(['pos_embed', { shape: [1, network.numPatches + 1, embedDim], values: sinCosPosEmbed2d(embedDim, gridSize(network.arch), true) }]);
    }
  }
  return encodeSafetensors(entries, { format: 'pt', producer: 'fsfm-pipeline', ...archMetadata(network.arch), ...metadata });
}

export interface ImportReport {
  /** Our parameters that received values. */
  loaded: string[];
  /** Our parameters (among those asked for) that the source lacks. */
  missing: string[];
  /** Source entries we have no parameter for (position buffers excluded). */
  unexpected: string[];
  /** Position buffers present in the source and recomputed instead. */
  recomputed: string[];
}

export interface ImportOptions {
  /** Only these of our parameters are loaded (default: all). */
  include?: (name: string) => boolean;
  /** Fail when a wanted parameter is missing (default true). Shape mismatches always fail. */
  strict?: boolean;
}

/** Loads a PyTorch-layout state dict into a network; throws InvalidConfig on shape mismatch or (strict) missing names. */
export function importStateDict(network: FsfmNetwork, dict: ReadonlyMap<string, NamedArray>, opts: ImportOptions = {}): ImportReport {
  const include = opts.include ?? (() => true);
  const report: ImportReport = { loaded: [], missing: [], unexpected: [], recomputed: [] };
  const problems: string[] = [];
  const updates: [tf.Variable, Float32Array][] = [];
  for (const [name, v] of network.namedWeights()) {
    if (!include(name)) continue;
    const t = dict.get(name);
    if (!t) {
      report.missing.push(name);
      continue;
    }
    const spec = network.params.spec(name);
    if (t.shape.length !== spec.torchShape.length || t.shape.some((d, i) => d !== spec.torchShape[i])) {
      problems.push(`${name}: source shape [${t.shape}], model expects [${spec.torchShape}]`);
      continue;
    }
    updates.push([v, fromTorchLayout(spec, t.values)]);
    report.loaded.push(name);
  }
  for (const name of dict.keys()) {
    if ((POSITION_BUFFERS as readonly string[]).includes(name)) report.recomputed.push(name);
    else if (!network.params.has(name)) report.unexpected.push(name);
  }
  if (opts.strict !== false && report.missing.length) {
    problems.push(`missing ${report.missing.length} parameter(s): ${report.missing.slice(0, 8).join(', ')}${report.missing.length > 8 ? ', …' : ''}`);
  }
  if (problems.length) throw new InvalidConfig(`weights do not fit the model: ${problems.join('; ')}`);
  tf.tidy(() => {
    for (const [v, values] of updates) v.assign(tf.tensor(values, v.shape));
  });
  return report;
}

/** Loads encoder weights written by exportEncoderSafetensors (or timm) into a network. */
export function importEncoderSafetensors(network: FsfmNetwork, file: Buffer, opts: { strict?: boolean } = {}): ImportReport {
  const { tensors, metadata } = decodeSafetensors(file);
  const recorded = archFromMetadata(metadata);
  if (recorded) {
    const encoder = Object.fromEntries(ENCODER_ARCH_FIELDS.filter((f) => recorded[f] !== undefined).map((f) => [f, recorded[f]]));
    assertSameArch(encoderArch(network.arch), encoder, { model: 'the model', source: 'the safetensors file' });
  }
  return importStateDict(network, tensors, { include: isEncoderParam, strict: opts.strict });
}

/**
 * Loads the reference's released .pth checkpoint (`{ model: state_dict, … }`) into a network: the online model
 * from `checkpoint-*.pth`, the target from `checkpoint-te-*.pth`. `encoderOnly` loads just the encoder (e.g. into
 * a network whose heads differ).
 */
export async function importTorchCheckpoint(
  network: FsfmNetwork,
  source: string | Buffer,
  opts: { key?: string; encoderOnly?: boolean; strict?: boolean } = {},
): Promise<ImportReport> {
  const ckpt = await openTorchCheckpoint(source);
  try {
    const recorded = torchCheckpointArch(ckpt.root);
    if (recorded) assertSameArch(encoderArch(network.arch), recorded, { model: 'the model', source: `the checkpoint${typeof source === 'string' ? ` ${source}` : ''} (args.model)` });
    const dict = await ckpt.stateDict(opts.key ?? 'model');
    return importStateDict(network, dict, { include: opts.encoderOnly ? isEncoderParam : undefined, strict: opts.strict });
  } finally {
    await ckpt.close();
  }
}
