/**
 * Attention analysis of one checkpoint on a prepared face set: a pretrained FSFM checkpoint (its encoder, one
 * branch) or a finetuned detector, both run as a ViT encoder on unmasked faces. Pretrained encoders get the last
 * block's mean attention map per sample face, finetuned detectors an attention-rollout CAM (attention-metrics.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig, NotFound } from '../errors.js';
import type { RgbImage } from '../faces/index.js';
import { FINETUNE_CHECKPOINT_KIND, FINETUNE_MODEL_KIND, loadClassifier, normalizationOf, toTensors } from '../finetune/checkpoint.js';
import { readPretrainEncoder } from '../finetune/init.js';
import { type Normalization, evalTransform, fasEvalTransform } from '../finetune/transforms.js';
import { ClassifierModel } from '../model/heads.js';
import { openPrepared } from '../prepare/pack.js';
import { encodeFacePng } from '../prepare/png.js';
import type { ShardRecord } from '../prepare/shards.js';
import { readSet } from '../store/sets.js';
import type { ArtifactStore } from '../store/types.js';
import { joinKey } from '../store/index.js';
import { CHECKPOINT_KIND } from '../train/checkpoint.js';
import { type BackendPreference, initBackend } from '../tensor/backend.js';
import { encoderAttention, patchGeometry } from './capture.js';
import { onlineNetwork, reconstructFaces, type ReconstructionSummary } from './reconstruction.js';
import { AttentionAccumulator, type AttentionSummary, type FaceMap, type MapKind, faceMaps } from './summary.js';

export type CheckpointKind = 'pretrained' | 'finetuned';

export interface AnalyzeCheckpointOptions {
  store: ArtifactStore;
  /**
   * A pretraining checkpoint set or run folder (runs/<id>/pretrain), or a finetuned model (selected set,
   * checkpoint, or runs/<id>/finetune).
   */
  checkpoint: string;
  /** Shown in figures; default the checkpoint prefix. */
  label?: string;
  /** Store prefix of a committed prepared face set. */
  prepared: string;
  /** Only faces of this split (default every face). */
  split?: string;
  /** Faces averaged into the metrics (first ones in set order). */
  faces: number;
  /** Of those, how many get an overlay figure. */
  mapFaces: number;
  /** Pretrained checkpoints: which branch's encoder (default online, the one finetuning starts from). */
  branch?: 'online' | 'target';
  /** Pretrained checkpoints: faces (the first analysed ones) reconstructed under every masking strategy (default 0). */
  reconstructionFaces?: number;
  batchSize?: number;
  /** TensorFlow.js backend (default auto: the same choice as training). */
  backend?: BackendPreference;
  signal?: AbortSignal;
  /** After every batch: faces analysed so far, of how many at most. */
  onProgress?: (p: AnalysisProgress) => void;
}

export interface AnalysisProgress {
  faces: number;
  of: number;
}

export type AnalyzedCheckpoint = AttentionSummary & { kind: CheckpointKind };

interface Inspected {
  kind: CheckpointKind;
  model: ClassifierModel;
  /** RGB face -> normalised model input. */
  transform: (image: RgbImage) => Float32Array;
  normalization: Normalization;
  /** Pretrained checkpoints: what the reconstruction figures need (the online network's weights and its setup). */
  pretrain?: Awaited<ReturnType<typeof readPretrainEncoder>>;
}

/** Which kind of checkpoint lives under `prefix` (a committed set, or a run folder with latest.json / best.json). */
export async function checkpointKind(store: ArtifactStore, prefix: string): Promise<CheckpointKind> {
  const manifest = await readSet(store, prefix);
  if (manifest) {
    if (manifest.kind === CHECKPOINT_KIND) return 'pretrained';
    if (manifest.kind === FINETUNE_MODEL_KIND || manifest.kind === FINETUNE_CHECKPOINT_KIND) return 'finetuned';
    throw new InvalidConfig(`${prefix} holds a ${manifest.kind} set, not a pretrained or finetuned checkpoint`);
  }
  if (await store.stat(joinKey(prefix, 'best.json'))) return 'finetuned';
  if (await store.stat(joinKey(prefix, 'latest.json'))) return 'pretrained';
  throw new NotFound(`no checkpoint under ${prefix} (no committed set, best.json or latest.json)`);
}

async function inspect(opts: AnalyzeCheckpointOptions): Promise<Inspected> {
  const kind = await checkpointKind(opts.store, opts.checkpoint);
  if (kind === 'finetuned') {
    const { model, input } = await loadClassifier(opts.store, opts.checkpoint);
    const norm = normalizationOf(input);
    const size = input.imageSizePx;
    const transform = (image: RgbImage) =>
      input.evalTransform.kind === 'fas' ? fasEvalTransform(image, size, norm) : evalTransform(image, size, input.evalTransform.cropPct, norm);
    return { kind, model, transform, normalization: norm };
  }
  const ckpt = await readPretrainEncoder(opts.store, opts.checkpoint, opts.branch ?? 'online');
  // Only the online network has the pixel decoder the reconstructions need.
  const online = (opts.reconstructionFaces ?? 0) > 0 ? (opts.branch === 'target' ? await readPretrainEncoder(opts.store, opts.checkpoint, 'online') : ckpt) : undefined;
  const encoder = new Map([...ckpt.weights].filter(([name]) => name === 'cls_token' || name === 'pos_embed' || name.startsWith('patch_embed.') || name.startsWith('blocks.')));
  const tensors = toTensors(encoder);
  try {
    const { model } = ClassifierModel.fromPretrained({ preset: 'base', arch: ckpt.arch, head: 'dfd' }, tensors, { layout: 'ours' });
    const norm = { mean: ckpt.normalization.mean as Normalization['mean'], std: ckpt.normalization.std as Normalization['std'] };
    // Pretraining feeds whole face crops resized to the model's size, no crop.
    return { kind, model, transform: (image) => evalTransform(image, ckpt.arch.imageSizePx, 1, norm), normalization: norm, pretrain: online };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/** The model's input back to 8-bit RGB (what the model saw), for the overlays. */
function denormalise(x: Float32Array, norm: Normalization): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % 3;
    out[i] = Math.max(0, Math.min(255, Math.round((x[i] * norm.std[c] + norm.mean[c]) * 255)));
  }
  return out;
}

export async function analyzeCheckpoint(opts: AnalyzeCheckpointOptions): Promise<AnalyzedCheckpoint> {
  if (!Number.isInteger(opts.faces) || opts.faces < 1) throw new InvalidConfig(`faces must be a positive integer, got ${opts.faces}`);
  const reconstructionFaces = opts.reconstructionFaces ?? 0;
  if (!Number.isInteger(reconstructionFaces) || reconstructionFaces < 0) throw new InvalidConfig(`reconstructionFaces must be a non-negative integer, got ${reconstructionFaces}`);
  if (!Number.isInteger(opts.mapFaces) || opts.mapFaces < 0) throw new InvalidConfig(`mapFaces must be a non-negative integer, got ${opts.mapFaces}`);
  const batchSize = opts.batchSize ?? 8;
  await initBackend({ prefer: opts.backend ?? 'auto', log: () => {} });
  const set = await openPrepared(opts.store, opts.prepared);
  const inspected = await inspect(opts);
  const { model, transform, normalization } = inspected;
  try {
    const geometry = patchGeometry(model);
    const size = model.arch.imageSizePx;
    const mapKind: MapKind = inspected.kind === 'finetuned' ? 'rollout' : 'mean-attention';
    const acc = new AttentionAccumulator(geometry);
    const maps: FaceMap[] = [];
    const reconstructionRecords: ShardRecord[] = [];
    let seen = 0;
    let batch: ShardRecord[] = [];
    const flush = async () => {
      const per = size * size * 3;
      const pixels = new Float32Array(batch.length * per);
      batch.forEach((r, i) => {
        const image: RgbImage = { rgb: Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength), widthPx: r.sizePx, heightPx: r.sizePx };
        pixels.set(transform(image), i * per);
      });
      const images = tf.tensor4d(pixels, [batch.length, size, size, 3]);
      const blocks = (() => {
        try {
          return encoderAttention(model, images);
        } finally {
          images.dispose();
        }
      })();
      acc.add(blocks);
      const perFace = faceMaps(blocks, geometry, mapKind);
      for (let i = 0; i < batch.length && maps.length < opts.mapFaces; i++) {
        const png = await encodeFacePng(denormalise(pixels.subarray(i * per, (i + 1) * per), normalization), size);
        maps.push({ faceId: batch[i].faceId, facePngBase64: png.toString('base64'), map: Array.from(perFace[i]) });
      }
      batch = [];
      opts.onProgress?.({ faces: seen, of: opts.faces });
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.signal?.throwIfAborted();
    };
    for await (const record of set.records(opts.split === undefined ? {} : { split: opts.split })) {
      batch.push(record);
      if (reconstructionRecords.length < reconstructionFaces) reconstructionRecords.push(record);
      seen++;
      if (batch.length === batchSize) await flush();
      if (seen === opts.faces) break;
    }
    if (batch.length) await flush();
    if (seen === 0) throw new InvalidConfig(`prepared set ${opts.prepared} has no faces${opts.split === undefined ? '' : ` in split '${opts.split}'`}`);
    const r = acc.result();
    let reconstructions: ReconstructionSummary | undefined;
    if (inspected.pretrain && reconstructionRecords.length) {
      const pre = inspected.pretrain;
      const net = onlineNetwork(pre.arch, pre.weights);
      try {
        reconstructions = await reconstructFaces({
          net,
          normalization,
          normPixLoss: pre.config.model.normPixLoss,
          maskRatio: pre.config.masking.maskRatio,
          records: reconstructionRecords,
        });
      } finally {
        net.dispose();
      }
    }
    return {
      kind: inspected.kind,
      label: opts.label ?? opts.checkpoint,
      imageSizePx: size,
      gridSize: geometry.gridSize,
      patchSizePx: geometry.patchSizePx,
      faces: r.faces,
      meanDistancePx: r.meanDistancePx,
      klPerHead: r.klPerHead,
      mapKind,
      maps,
      ...(reconstructions ? { reconstructions } : {}),
    };
  } finally {
    model.dispose();
  }
}
