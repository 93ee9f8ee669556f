/**
 * Finetuning artifacts in the store:
 *
 *   runs/<runId>/finetune/ckpt/<step, 9 digits>/   a committed checkpoint (resume):
 *       model.bin model.index.json           the classifier's weights (our layouts, timm / fas.py names)
 *       optimizer.bin optimizer.index.json   AdamW moments
 *       state.json                            step, history, best so far, resolved normalisation, config
 *   runs/<runId>/finetune/latest.json        the newest committed checkpoint, written after its commit
 *   runs/<runId>/finetune/best/<step>/        the selected model (lowest source validation loss, or the last
 *       model.bin model.index.json           weights): one committed set per selection, meta says how it was
 *                                            chosen and how to feed it (model options, normalisation, eval crop)
 *   runs/<runId>/finetune/best.json           points at the current selected model
 *
 * The selected model is a new set per selection rather than one rewritten folder: objects are immutable and a
 * crash between two writes must not leave a manifest whose members changed. Older selected sets are deleted only
 * when a checkpoint that no longer refers to them is committed, so a resumed run always finds the one its state
 * names; selections made after the checkpoint it resumes from are deleted at resume.
 */
import type { EncoderArch } from '../model/presets.js';
import * as tf from '@tensorflow/tfjs';
import { IntegrityError, InvalidConfig, NotFound } from '../errors.js';
import { ClassifierModel } from '../model/heads.js';
import type { ClassifierOptions } from '../model/heads-options.js';
import { readMember, readSet, SetWriter, type SetManifest } from '../store/sets.js';
import { joinKey, type ArtifactStore } from '../store/types.js';
import type { AdamWState } from '../train/adamw.js';
import { listStepSets, pruneStepSets, stepSetPrefix } from '../train/checkpoint-sets.js';
import { decodeTensors, encodeTensors, type NamedArray, type TensorIndex } from '../train/tensor-file.js';
import type { FinetuneConfig, FinetuneTask } from './options.js';
import type { Normalization } from './transforms.js';

export const FINETUNE_CHECKPOINT_KIND = 'fsfm-finetune-checkpoint';
export const FINETUNE_MODEL_KIND = 'fsfm-finetune-model';

export function finetunePrefix(runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new InvalidConfig(`run id ${JSON.stringify(runId)} must be letters, digits, '.', '_' or '-'`);
  return `runs/${runId}/finetune`;
}

export const finetuneCheckpointsPrefix = (runId: string): string => `${finetunePrefix(runId)}/ckpt`;
export const finetuneCheckpointPrefix = (runId: string, step: number): string => stepSetPrefix(finetuneCheckpointsPrefix(runId), step);
export const finetuneLatestKey = (runId: string): string => `${finetunePrefix(runId)}/latest.json`;
export const selectedModelsPrefix = (runId: string): string => `${finetunePrefix(runId)}/best`;
export const selectedModelPrefix = (runId: string, step: number): string => stepSetPrefix(selectedModelsPrefix(runId), step);
export const bestPointerKey = (runId: string): string => `${finetunePrefix(runId)}/best.json`;

/** One finished epoch. */
export interface FinetuneEpochRecord {
  epoch: number;
  /** Optimizer steps done when the epoch ended. */
  step: number;
  /** Mean training loss over the epoch's steps (with mixup targets when mixing). */
  trainLoss: number;
  /** Mean cross-entropy on the validation split (no augmentation); null without validation. */
  valLoss: number | null;
  /** Video-level HTER at the EER threshold, AUC and live TPR@attack FPR=1% on the validation faces (both classes present). */
  valHter?: number;
  valAuc?: number;
  valLiveTprAtAttackFpr1pct?: number;
  /** Per-domain selection: mean cross-entropy on each domain's target faces. */
  valLossByDomain?: Record<string, number>;
}

export interface SelectedModelRef {
  key: string;
  step: number;
  epoch: number;
  valLoss: number | null;
  /** HTER at selection (HTER selections). */
  valHter?: number;
}

/** How to feed a finetuned classifier: what evaluation needs besides the weights. */
export interface ClassifierInputSpec {
  task: FinetuneTask;
  model: ClassifierOptions;
  /** The resolved encoder the weights belong to (absent in sets made before it was recorded). */
  arch?: EncoderArch;
  imageSizePx: number;
  normalization: { mean: [number, number, number]; std: [number, number, number] };
  /** dfd: resize the shorter side to ⌊size / cropPct⌋ then centre crop (evalTransform); fas: plain resize. */
  evalTransform: { kind: 'dfd'; cropPct: number } | { kind: 'fas' };
}

export interface FinetuneState {
  format: 'fsfm-finetune-state/1';
  step: number;
  totalSteps: number;
  /** Epoch of the next step. */
  epoch: number;
  config: FinetuneConfig;
  input: ClassifierInputSpec;
  /** What the run trained on; a resumed run must see the same faces. */
  data: { train: number; val: number; trainDigest: string; valDigest: string };
  history: FinetuneEpochRecord[];
  /** Running training loss of the current epoch. */
  epochLoss: { sum: number; count: number };
  /** The step ended an epoch whose validation/selection did not finish (cancelled during it): redo it first. */
  epochEndPending: boolean;
  best: SelectedModelRef | null;
  /** Per-domain selection: each domain's selected model so far. */
  bestByDomain?: Record<string, SelectedModelRef>;
  init: { from: string; source: string | null; loaded: number; missing: string[] };
  backend: string;
  trainMs: number;
}

export interface FinetuneCheckpoint {
  state: FinetuneState;
  model: Map<string, NamedArray>;
  optimizer: AdamWState;
}

export type ModelSetMeta = {
  runId: string;
  step: number;
  epoch: number;
  /** Validation loss at selection; null when selected without one. */
  valLoss: number | null;
  selection: FinetuneConfig['selection'];
  /** Per-domain selection: the domains this model was the best for when it was written. */
  domains?: string[];
  head: ClassifierOptions['head'];
  input: ClassifierInputSpec;
};

export type CheckpointMeta = {
  runId: string;
  step: number;
  epoch: number;
  totalSteps: number;
  head: ClassifierOptions['head'];
  input: ClassifierInputSpec;
};

export interface PointerFile {
  format: 'fsfm-latest/1';
  step: number;
  prefix: string;
  committedAt: string;
}

/** A classifier's weights as plain arrays. */
export function classifierWeights(model: ClassifierModel): Map<string, NamedArray> {
  return new Map(model.namedWeights().map(([name, v]) => [name, { shape: v.shape.slice(), values: v.dataSync() as Float32Array }]));
}

/** Plain arrays as tensors (the caller disposes them). */
export function toTensors(weights: ReadonlyMap<string, NamedArray>): Map<string, tf.Tensor> {
  return new Map([...weights].map(([name, t]) => [name, tf.tensor(t.values, t.shape, 'float32')]));
}

async function putTensors(writer: SetWriter, name: string, tensors: Map<string, NamedArray>): Promise<void> {
  const { data, index } = encodeTensors(tensors);
  await writer.put(`${name}.bin`, data, { contentType: 'application/octet-stream' });
  await writer.put(`${name}.index.json`, JSON.stringify(index), { contentType: 'application/json' });
}

async function readTensors(store: ArtifactStore, manifest: SetManifest<unknown>, name: string): Promise<Map<string, NamedArray>> {
  const index = JSON.parse((await readMember(store, manifest, `${name}.index.json`)).toString('utf8')) as TensorIndex;
  return decodeTensors(await readMember(store, manifest, `${name}.bin`), index);
}

async function writePointer(store: ArtifactStore, key: string, step: number, prefix: string, committedAt: string): Promise<void> {
  const pointer: PointerFile = { format: 'fsfm-latest/1', step, prefix, committedAt };
  await store.put(key, JSON.stringify(pointer), { contentType: 'application/json' });
}

async function readPointer(store: ArtifactStore, key: string): Promise<PointerFile | null> {
  if (!(await store.stat(key))) return null;
  return JSON.parse((await store.get(key)).toString('utf8')) as PointerFile;
}

/** Every selected model a state names: the run's, and each domain's under per-domain selection. */
function selectedKeys(state: Pick<FinetuneState, 'best' | 'bestByDomain'>): string[] {
  return [...new Set([...(state.best ? [state.best.key] : []), ...Object.values(state.bestByDomain ?? {}).map((b) => b.key)])];
}

/**
 * Writes and commits a checkpoint, points latest.json at it, then deletes all but the newest `keepLast`
 * checkpoints and every selected model except those the state names.
 */
export async function writeFinetuneCheckpoint(store: ArtifactStore, runId: string, ckpt: FinetuneCheckpoint, opts: { keepLast: number }): Promise<string> {
  const { state } = ckpt;
  const prefix = finetuneCheckpointPrefix(runId, state.step);
  const writer = new SetWriter(store, prefix);
  await putTensors(writer, 'model', ckpt.model);
  await putTensors(writer, 'optimizer', ckpt.optimizer.tensors);
  await writer.put('state.json', JSON.stringify({ ...state, optimizerStepCount: ckpt.optimizer.stepCount }), { contentType: 'application/json' });
  const meta: CheckpointMeta = { runId, step: state.step, epoch: state.epoch, totalSteps: state.totalSteps, head: state.input.model.head, input: state.input };
  const manifest = await writer.commit(FINETUNE_CHECKPOINT_KIND, meta);
  await writePointer(store, finetuneLatestKey(runId), state.step, prefix, manifest.committedAt);
  await pruneStepSets(store, finetuneCheckpointsPrefix(runId), { keepLast: Math.max(1, opts.keepLast), protect: [prefix] });
  await pruneStepSets(store, selectedModelsPrefix(runId), { keepLast: 0, protect: selectedKeys(state) });
  return prefix;
}

/** Reads and verifies one committed finetuning checkpoint. */
export async function readFinetuneCheckpoint(store: ArtifactStore, prefix: string): Promise<FinetuneCheckpoint> {
  const manifest = await readSet(store, prefix);
  if (!manifest) throw new IntegrityError(`no committed checkpoint under ${prefix}`);
  if (manifest.kind !== FINETUNE_CHECKPOINT_KIND) throw new IntegrityError(`${prefix} holds a ${manifest.kind} set, not a finetuning checkpoint`);
  const raw = JSON.parse((await readMember(store, manifest, 'state.json')).toString('utf8')) as FinetuneState & { optimizerStepCount: number };
  if (raw.format !== 'fsfm-finetune-state/1') throw new IntegrityError(`${prefix}: unknown state format ${String(raw.format)}`);
  const { optimizerStepCount, ...state } = raw;
  return {
    state,
    model: await readTensors(store, manifest, 'model'),
    optimizer: { stepCount: optimizerStepCount, tensors: await readTensors(store, manifest, 'optimizer') },
  };
}

export async function listFinetuneCheckpoints(store: ArtifactStore, runId: string): Promise<{ step: number; prefix: string }[]> {
  return listStepSets(store, finetuneCheckpointsPrefix(runId));
}

/**
 * The newest committed checkpoint of a run, or null. Selected models of later steps (written after that
 * checkpoint by the attempt that crashed) are deleted and best.json is pointed back at the state's selection.
 */
export async function resumeFinetune(store: ArtifactStore, runId: string): Promise<(FinetuneCheckpoint & { prefix: string }) | null> {
  const all = await listFinetuneCheckpoints(store, runId);
  const newest = all[all.length - 1];
  if (!newest) return null;
  const ckpt = await readFinetuneCheckpoint(store, newest.prefix);
  const { best } = ckpt.state;
  await pruneStepSets(store, selectedModelsPrefix(runId), { keepLast: 0, protect: selectedKeys(ckpt.state), dropAbove: ckpt.state.step });
  if (best) {
    const manifest = await readSet(store, best.key);
    if (!manifest) throw new IntegrityError(`checkpoint ${newest.prefix} names the selected model ${best.key}, which is not committed`);
    await writePointer(store, bestPointerKey(runId), best.step, best.key, manifest.committedAt);
  } else if (await store.stat(bestPointerKey(runId))) {
    await store.delete(bestPointerKey(runId));
  }
  return { prefix: newest.prefix, ...ckpt };
}

export async function readFinetuneLatest(store: ArtifactStore, runId: string): Promise<PointerFile | null> {
  return readPointer(store, finetuneLatestKey(runId));
}

export async function readBestPointer(store: ArtifactStore, runId: string): Promise<PointerFile | null> {
  return readPointer(store, bestPointerKey(runId));
}

/** Commits a selected model (weights + how to feed them) and points best.json at it. */
export async function writeSelectedModel(
  store: ArtifactStore,
  runId: string,
  weights: Map<string, NamedArray>,
  meta: Omit<ModelSetMeta, 'runId' | 'head'>,
  opts: { pointer?: boolean } = {},
): Promise<string> {
  const prefix = selectedModelPrefix(runId, meta.step);
  const writer = new SetWriter(store, prefix);
  await putTensors(writer, 'model', weights);
  const full: ModelSetMeta = { runId, head: meta.input.model.head, ...meta };
  const manifest = await writer.commit(FINETUNE_MODEL_KIND, full);
  // Per-domain selection writes models that are some domain's best without being the run's.
  if (opts.pointer ?? true) await writePointer(store, bestPointerKey(runId), meta.step, prefix, manifest.committedAt);
  return prefix;
}

/**
 * A finetuned classifier from the store: `prefix` is a selected-model set (runs/<id>/finetune/best/<step>), a
 * finetuning checkpoint (…/ckpt/<step>), or a run's finetune folder (runs/<id>/finetune: its best.json is followed).
 * The caller disposes the model.
 */
export async function loadClassifier(
  store: ArtifactStore,
  prefix: string,
): Promise<{ model: ClassifierModel; input: ClassifierInputSpec; prefix: string; meta: ModelSetMeta | CheckpointMeta }> {
  let manifest = await readSet<ModelSetMeta | CheckpointMeta>(store, prefix);
  let resolved = prefix;
  if (!manifest) {
    const pointer = await readPointer(store, joinKey(prefix, 'best.json'));
    if (!pointer) throw new NotFound(`no finetuned model under ${prefix} (neither a committed model or checkpoint set nor a best.json)`);
    resolved = pointer.prefix;
    manifest = await readSet<ModelSetMeta | CheckpointMeta>(store, resolved);
    if (!manifest) throw new IntegrityError(`${prefix}/best.json names ${resolved}, which is not committed`);
  }
  if (manifest.kind !== FINETUNE_MODEL_KIND && manifest.kind !== FINETUNE_CHECKPOINT_KIND) {
    throw new InvalidConfig(`${resolved} holds a ${manifest.kind} set, not a finetuned model`);
  }
  const input = manifest.meta.input;
  const weights = await readTensors(store, manifest, 'model');
  // Built as recorded: a preset whose definition changed since (ViT-S heads) must not reinterpret old weights.
  const model = new ClassifierModel(input.arch ? { ...input.model, arch: { ...input.model.arch, ...input.arch } } : input.model);
  const tensors = toTensors(weights);
  try {
    model.loadWeights(tensors);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose([...tensors.values()]);
  }
  return { model, input, prefix: resolved, meta: manifest.meta };
}

/** Normalisation as stored (plain arrays). */
export function normalizationOf(input: ClassifierInputSpec): Normalization {
  return { mean: input.normalization.mean, std: input.normalization.std };
}
