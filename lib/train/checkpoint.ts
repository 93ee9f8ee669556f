/**
 * Pretraining checkpoints in the artifact store:
 *
 *   runs/<runId>/pretrain/ckpt/<step, 9 digits>/   one committed set:
 *       online.bin  online.index.json     online network (float32 LE + JSON index of names/shapes/offsets)
 *       target.bin  target.index.json     target network
 *       optimizer.bin optimizer.index.json AdamW moments (exp_avg.<name>, exp_avg_sq.<name>)
 *       state.json                          step, data position, RNG states, config, normalisation, data index
 *       _MANIFEST.json                      written last: the set exists only once it is there
 *   runs/<runId>/pretrain/latest.json       the newest committed checkpoint, written after its commit
 *
 * Resuming never trusts latest.json alone: it takes the newest set whose manifest exists.
 */
import * as tf from '@tensorflow/tfjs';
import { IntegrityError, InvalidConfig } from '../errors.js';
import type { RngState } from '../masking/rng.js';
import type { FsfmModel, LossValues } from '../model/model.js';
import type { FsfmArch } from '../model/presets.js';
import { readMember, readSet, SetWriter, type SetManifest } from '../store/sets.js';
import type { ArtifactStore } from '../store/types.js';
import { listStepSets, pruneStepSets, stepSetPrefix } from './checkpoint-sets.js';
import type { ChannelStats, DataIndex } from './data.js';
import type { PretrainConfig } from './options.js';
import { decodeTensors, encodeTensors, type NamedArray, type TensorIndex } from './tensor-file.js';

export const CHECKPOINT_KIND = 'fsfm-pretrain-checkpoint';

export function pretrainPrefix(runId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new InvalidConfig(`run id ${JSON.stringify(runId)} must be letters, digits, '.', '_' or '-'`);
  return `runs/${runId}/pretrain`;
}

export function checkpointsPrefix(runId: string): string {
  return `${pretrainPrefix(runId)}/ckpt`;
}

export function checkpointPrefix(runId: string, step: number): string {
  return stepSetPrefix(checkpointsPrefix(runId), step);
}

export function latestKey(runId: string): string {
  return `${pretrainPrefix(runId)}/latest.json`;
}

/** Everything besides tensors that a resumed run needs to continue exactly. */
export interface TrainState {
  format: 'fsfm-pretrain-state/1';
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  /** Where step `step` starts in the data order. */
  epoch: number;
  batchInEpoch: number;
  /** The masking generator after the last completed step. */
  maskRng: RngState;
  /** The data order is a function of these and the data index (data.ts epochOrder). */
  shuffle: { seed: number; windowShards: number };
  normalization: ChannelStats;
  data: DataIndex;
  config: PretrainConfig;
  /** The resolved architecture (presets may change between versions; absent in checkpoints made before it was recorded). */
  arch?: FsfmArch;
  skippedBatches: number;
  lastLosses: LossValues | null;
  backend: string;
  /** Training time so far, for throughput reports. */
  trainMs: number;
}

export interface CheckpointContents {
  state: TrainState;
  online: Map<string, NamedArray>;
  target: Map<string, NamedArray>;
  optimizer: { stepCount: number; tensors: Map<string, NamedArray> };
}

export interface LatestPointer {
  format: 'fsfm-latest/1';
  step: number;
  prefix: string;
  committedAt: string;
}

/** Reads a model's weights into plain arrays (for a checkpoint). */
export function modelWeights(model: FsfmModel): Pick<CheckpointContents, 'online' | 'target'> {
  const read = (entries: [string, tf.Variable][]) =>
    new Map(entries.map(([name, v]) => [name, { shape: v.shape.slice(), values: v.dataSync() as Float32Array }]));
  const { online, target } = model.namedWeights();
  return { online: read(online), target: read(target) };
}

/** Writes checkpointed weights into a model; every weight must be present with its shape. */
export function loadModelWeights(model: FsfmModel, weights: Pick<CheckpointContents, 'online' | 'target'>): void {
  const { online, target } = model.namedWeights();
  const problems: string[] = [];
  const assign = (which: string, entries: [string, tf.Variable][], from: Map<string, NamedArray>) => {
    for (const [name, v] of entries) {
      const t = from.get(name);
      if (!t) problems.push(`${which} ${name} is missing`);
      else if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        problems.push(`${which} ${name} has shape [${t.shape}], the model [${v.shape}]`);
      } else tf.tidy(() => v.assign(tf.tensor(t.values, v.shape)));
    }
  };
  assign('online', online, weights.online);
  assign('target', target, weights.target);
  if (problems.length) throw new InvalidConfig(`checkpoint does not fit the model: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
}

/**
 * Writes a checkpoint set, commits it (manifest last), points latest.json at it, then deletes all but the newest
 * `keepLast` committed checkpoints (never the one just written) and uncommitted leftovers older than it.
 */
export async function writeCheckpoint(
  store: ArtifactStore,
  runId: string,
  contents: CheckpointContents,
  opts: { keepLast: number },
): Promise<{ prefix: string; manifest: SetManifest }> {
  const { state } = contents;
  const prefix = checkpointPrefix(runId, state.step);
  const writer = new SetWriter(store, prefix);
  const putTensors = async (name: string, tensors: Map<string, NamedArray>) => {
    const { data, index } = encodeTensors(tensors);
    await writer.put(`${name}.bin`, data, { contentType: 'application/octet-stream' });
    await writer.put(`${name}.index.json`, JSON.stringify(index), { contentType: 'application/json' });
  };
  await putTensors('online', contents.online);
  await putTensors('target', contents.target);
  await putTensors('optimizer', contents.optimizer.tensors);
  await writer.put('state.json', JSON.stringify({ ...state, optimizerStepCount: contents.optimizer.stepCount }), { contentType: 'application/json' });
  const manifest = await writer.commit(CHECKPOINT_KIND, { step: state.step, epoch: state.epoch, totalSteps: state.totalSteps, runId });
  const latest: LatestPointer = { format: 'fsfm-latest/1', step: state.step, prefix, committedAt: manifest.committedAt };
  await store.put(latestKey(runId), JSON.stringify(latest), { contentType: 'application/json' });
  await pruneCheckpoints(store, runId, opts.keepLast, prefix);
  return { prefix, manifest: manifest as SetManifest };
}

/** Committed checkpoints of a run, oldest first. */
export async function listCheckpoints(store: ArtifactStore, runId: string): Promise<{ step: number; prefix: string }[]> {
  return listStepSets(store, checkpointsPrefix(runId));
}

/** Reads and verifies (sha256 of every member) one committed checkpoint. */
export async function readCheckpoint(store: ArtifactStore, prefix: string): Promise<CheckpointContents> {
  const manifest = await readSet(store, prefix);
  if (!manifest) throw new IntegrityError(`no committed checkpoint under ${prefix}`);
  if (manifest.kind !== CHECKPOINT_KIND) throw new IntegrityError(`${prefix} holds a ${manifest.kind} set, not a pretraining checkpoint`);
  const tensors = async (name: string) => {
    const index = JSON.parse((await readMember(store, manifest, `${name}.index.json`)).toString('utf8')) as TensorIndex;
    return decodeTensors(await readMember(store, manifest, `${name}.bin`), index);
  };
  const raw = JSON.parse((await readMember(store, manifest, 'state.json')).toString('utf8')) as TrainState & { optimizerStepCount: number };
  if (raw.format !== 'fsfm-pretrain-state/1') throw new IntegrityError(`${prefix}: unknown state format ${String(raw.format)}`);
  const { optimizerStepCount, ...state } = raw;
  return {
    state,
    online: await tensors('online'),
    target: await tensors('target'),
    optimizer: { stepCount: optimizerStepCount, tensors: await tensors('optimizer') },
  };
}

/** The newest committed checkpoint of a run (uncommitted ones are ignored), or null when there is none. */
export async function resumeFrom(store: ArtifactStore, runId: string): Promise<(CheckpointContents & { prefix: string }) | null> {
  const all = await listCheckpoints(store, runId);
  const newest = all[all.length - 1];
  if (!newest) return null;
  return { prefix: newest.prefix, ...(await readCheckpoint(store, newest.prefix)) };
}

/** Where latest.json points, or null. */
export async function readLatest(store: ArtifactStore, runId: string): Promise<LatestPointer | null> {
  if (!(await store.stat(latestKey(runId)))) return null;
  return JSON.parse((await store.get(latestKey(runId))).toString('utf8')) as LatestPointer;
}

/**
 * Keeps the newest `keepLast` committed checkpoints and the one latest.json names (`protect`), deletes the
 * others (manifest first, so a half-deleted set is never seen as committed) and any uncommitted objects of
 * steps older than the newest committed one (leftovers of interrupted writes).
 */
export async function pruneCheckpoints(store: ArtifactStore, runId: string, keepLast: number, protect?: string): Promise<string[]> {
  const keep: string[] = protect ? [protect] : [];
  const latest = await readLatest(store, runId).catch(() => null);
  if (latest) keep.push(latest.prefix);
  return pruneStepSets(store, checkpointsPrefix(runId), { keepLast: Math.max(keepLast, 1), protect: keep });
}
