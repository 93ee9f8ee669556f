/**
 * Scoring a prepared face set with a finetuned classifier, and evaluating a test set:
 *
 *   scoreFaces        faces of a split, in set order, in batches: eval transform of the model (dfd: resize +
 *                     centre crop; fas: resize), normalised with the model's stats -> P(fake) (predictProba)
 *   scorePrepared     the same, written as scores.jsonl rows {id: faceId, group, label, score} to a store key
 *   evaluateTestSet   score -> evaluateScores -> runs/<runId>/eval/<testSet>/{scores.jsonl, metrics.json}, one
 *                     committed set (nothing is written when the test set is unusable, e.g. single-class)
 *
 * `group` is the face's `group` (the video a frame or image belongs to, lib/prepare), so video-level metrics average
 * a video's frames. Scores are P(fake) with fake = 1 (the reference reports P(real); AUC is unchanged).
 *
 * Runs in the calling process and yields to the event loop after every batch; one batch's forward pass is
 * synchronous, so keep `batchSize` small where the event loop matters (a Temporal worker), or use
 * evaluateTestSetInChild (child-runner.ts), which runs this in a child process.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import type { RgbImage } from '../faces/image.js';
import { type ClassifierInputSpec, type CheckpointMeta, loadClassifier, type ModelSetMeta } from '../finetune/checkpoint.js';
import { evalTransform, fasEvalTransform } from '../finetune/transforms.js';
import type { ClassifierModel } from '../model/heads.js';
import { openPrepared } from '../prepare/pack.js';
import type { ShardRecord } from '../prepare/shards.js';
import { SetWriter } from '../store/sets.js';
import type { ArtifactStore } from '../store/types.js';
import { type BackendPreference, initBackend } from '../tensor/backend.js';
import { type ScoreRow, validateScoreRows } from './aggregate.js';
import { type EvalMetrics, evaluateScores } from './evaluate.js';
import { type EvalOptionsInput, LABEL_CONVENTION } from './options.js';

export const EVAL_SET_KIND = 'fsfm-eval';
export const SCORES_NAME = 'scores.jsonl';
export const METRICS_NAME = 'metrics.json';

export interface ScoreProgress {
  /** Faces scored so far. */
  done: number;
  /** Faces to score (from the prepared set's counts). */
  total: number;
}

export interface ScoreOptions {
  store: ArtifactStore;
  /**
   * The finetuned model: a selected-model set (runs/<id>/finetune/best/<step>), a finetuning checkpoint
   * (runs/<id>/finetune/ckpt/<step>) or a run's finetune folder (runs/<id>/finetune, whose best.json is followed).
   */
  model: string;
  /** Store prefix of a committed prepared face set. */
  prepared: string;
  /** Only faces of this split; default: every face of the set. */
  split?: string;
  /** Only faces of this domain (a DiFF subset, an MCIO domain); default: every domain. */
  domain?: string;
  /** Faces per forward pass (default 16). */
  batchSize?: number;
  /** TensorFlow.js backend (default auto: the same choice as training). */
  backend?: BackendPreference;
  signal?: AbortSignal;
  onProgress?: (p: ScoreProgress) => void;
}

export interface ScoredFaces {
  rows: ScoreRow[];
  /** The model set actually read (best.json followed). */
  modelPrefix: string;
  input: ClassifierInputSpec;
  modelMeta: ModelSetMeta | CheckpointMeta;
  backend: string;
  facesPerSec: number;
}

const DEFAULT_BATCH = 16;

/** Scores every face of the split; rows in set order. */
export async function scoreFaces(opts: ScoreOptions): Promise<ScoredFaces> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidConfig(`batchSize must be a positive integer, got ${batchSize}`);
  const backend = await initBackend({ prefer: opts.backend ?? 'auto', log: () => {} });
  const set = await openPrepared(opts.store, opts.prepared);
  const counts = opts.split === undefined ? Object.values(set.meta.counts) : [set.meta.counts[opts.split] ?? { real: 0, fake: 0 }];
  const total = counts.reduce((n, c) => n + c.real + c.fake, 0);
  if (total === 0) {
    throw new InvalidConfig(`prepared set ${opts.prepared} has no faces${opts.split === undefined ? '' : ` in split '${opts.split}' (splits: ${Object.keys(set.meta.counts).join(', ') || 'none'})`}`);
  }
  const loaded = await loadClassifier(opts.store, opts.model);
  const { model, input } = loaded;
  try {
    const rows: ScoreRow[] = [];
    let batch: ShardRecord[] = [];
    let computeMs = 0;
    const flush = async () => {
      const started = performance.now();
      const scores = predict(model, input, batch);
      computeMs += performance.now() - started;
      batch.forEach((r, i) => rows.push({ id: r.faceId, group: r.group || r.videoId, label: r.label, score: clampProbability(scores[i]) }));
      batch = [];
      opts.onProgress?.({ done: rows.length, total });
      // The forward pass above held the event loop; let timers, IPC and heartbeats run before the next one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.signal?.throwIfAborted();
    };
    opts.signal?.throwIfAborted();
    for await (const record of set.records(opts.split === undefined ? {} : { split: opts.split })) {
      if (opts.domain !== undefined && record.domain !== opts.domain) continue;
      batch.push(record);
      if (batch.length === batchSize) await flush();
    }
    if (batch.length) await flush();
    if (rows.length === 0) {
      throw new InvalidConfig(`prepared set ${opts.prepared} has no faces of domain '${opts.domain}'${opts.split === undefined ? '' : ` in split '${opts.split}'`}`);
    }
    return {
      rows,
      modelPrefix: loaded.prefix,
      input,
      modelMeta: loaded.meta,
      backend: backend.backend,
      facesPerSec: computeMs > 0 ? rows.length / (computeMs / 1000) : 0,
    };
  } finally {
    model.dispose();
  }
}

/** records -> P(fake) per record. */
function predict(model: ClassifierModel, input: ClassifierInputSpec, records: readonly ShardRecord[]): Float32Array {
  const size = input.imageSizePx;
  const per = size * size * 3;
  const pixels = new Float32Array(records.length * per);
  records.forEach((r, i) => {
    const image: RgbImage = { rgb: Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength), widthPx: r.sizePx, heightPx: r.sizePx };
    const x = input.evalTransform.kind === 'fas' ? fasEvalTransform(image, size, input.normalization) : evalTransform(image, size, input.evalTransform.cropPct, input.normalization);
    pixels.set(x, i * per);
  });
  return tf.tidy(() => model.predictProba(tf.tensor4d(pixels, [records.length, size, size, 3])).dataSync() as Float32Array);
}

/** Softmax output in float32 can be a hair outside [0, 1] only through NaN; NaN stays NaN and fails validation. */
function clampProbability(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

export function scoresJsonl(rows: readonly ScoreRow[]): string {
  return rows.map((r) => JSON.stringify({ id: r.id, group: r.group, label: r.label, score: r.score })).join('\n') + '\n';
}

/** Scores the faces and writes them as JSONL to `scoresKey`; returns how many rows were written. */
export async function scorePrepared(opts: ScoreOptions & { scoresKey: string }): Promise<number> {
  const { rows } = await scoreFaces(opts);
  validateScoreRows(rows);
  await opts.store.put(opts.scoresKey, scoresJsonl(rows), { contentType: 'application/x-ndjson' });
  return rows.length;
}

export function evalPrefix(runId: string, testSet: string): string {
  const segment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
  if (!segment.test(runId)) throw new InvalidConfig(`run id ${JSON.stringify(runId)} must be letters, digits, '.', '_' or '-'`);
  if (!segment.test(testSet)) throw new InvalidConfig(`test set name ${JSON.stringify(testSet)} must be letters, digits, '.', '_' or '-'`);
  return `runs/${runId}/eval/${testSet}`;
}

export interface EvalSetMeta extends Record<string, unknown> {
  runId: string;
  testSet: string;
  model: string;
  prepared: string;
  split: string | null;
  domain: string | null;
  rows: number;
  labelConvention: typeof LABEL_CONVENTION;
  /** How the scored model was selected (from its set's meta; 'checkpoint' for a raw checkpoint). */
  selection: string;
  task: ClassifierInputSpec['task'];
}

export interface EvaluateTestSetOptions extends ScoreOptions {
  runId: string;
  /** Names the test set in keys and reports (letters, digits, . _ -). */
  testSet: string;
  evalOptions?: EvalOptionsInput;
}

export interface TestSetEvaluation {
  prefix: string;
  scoresKey: string;
  metricsKey: string;
  rows: number;
  metrics: EvalMetrics;
  meta: EvalSetMeta;
}

/**
 * Scores a test set and commits scores.jsonl and metrics.json under runs/<runId>/eval/<testSet>/. Throws
 * SingleClassTestSet (nothing written) when the scored faces are all real or all fake.
 */
export async function evaluateTestSet(opts: EvaluateTestSetOptions): Promise<TestSetEvaluation> {
  const prefix = evalPrefix(opts.runId, opts.testSet);
  const scored = await scoreFaces(opts);
  const metrics = evaluateScores(scored.rows, opts.evalOptions);
  const meta: EvalSetMeta = {
    runId: opts.runId,
    testSet: opts.testSet,
    model: scored.modelPrefix,
    prepared: opts.prepared,
    split: opts.split ?? null,
    domain: opts.domain ?? null,
    rows: scored.rows.length,
    labelConvention: LABEL_CONVENTION,
    selection: 'selection' in scored.modelMeta ? scored.modelMeta.selection : 'checkpoint',
    task: scored.input.task,
  };
  const writer = new SetWriter(opts.store, prefix);
  await writer.put(SCORES_NAME, scoresJsonl(scored.rows), { contentType: 'application/x-ndjson' });
  await writer.put(METRICS_NAME, JSON.stringify(metrics), { contentType: 'application/json' });
  await writer.commit(EVAL_SET_KIND, meta);
  return { prefix, scoresKey: `${prefix}/${SCORES_NAME}`, metricsKey: `${prefix}/${METRICS_NAME}`, rows: scored.rows.length, metrics, meta };
}
