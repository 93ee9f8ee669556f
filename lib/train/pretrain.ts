/**
 * The FSFM pretraining loop (fsfm-method.md §3-§5, the reference's engine_pretrain.py):
 *
 *   for each optimizer step:  lr from the per-iteration schedule
 *     for each of accumIter batches (data iteration i = epoch · batchesPerEpoch + batchInEpoch):
 *        CRFR-P masks (seeded Rng, in step order) -> losses and gradients
 *        L_cl not finite -> skip the batch (no EMA either);  total not finite -> TrainingDiverged
 *        last batch of the step: AdamW on Σ gradients / accumIter (optionally clipped)
 *        EMA of the target with momentum m(i) over I = epochs · batchesPerEpoch data iterations
 *   every checkpointEverySteps, at the end, at maxSteps and on abort: a committed checkpoint
 *
 * A run resumes from its newest committed checkpoint and then computes exactly what the uninterrupted run
 * would have: weights, optimizer moments, mask RNG and data position are all in the checkpoint, and
 * nothing else is random.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import { Masker } from '../masking/masker.js';
import { Rng } from '../masking/rng.js';
import { FsfmModel, type LossValues } from '../model/model.js';
import { assertSameArch, type FsfmArch } from '../model/presets.js';
import type { ArtifactStore } from '../store/types.js';
import { initBackend } from '../tensor/backend.js';
import { AdamW } from './adamw.js';
import { type CheckpointContents, loadModelWeights, modelWeights, resumeFrom, type TrainState, writeCheckpoint } from './checkpoint.js';
import { buildDataIndex, type ChannelStats, type DataIndex, type FaceSource, streamSeed } from './data.js';
import { TrainingDiverged } from './errors.js';
import { clipByGlobalNorm, GradientAccumulator } from './gradients.js';
import { BatchLoader } from './loader.js';
import { parsePretrainConfig, peakLr, type PretrainConfig, type PretrainConfigInput } from './options.js';
import { openPreparedFaces } from './prepared-source.js';
import { learningRate, stepPlan, stepPosition, type StepPlan } from './schedule.js';

export interface PretrainProgress {
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  epoch: number;
  /** Means over the step's (non-skipped) batches; NaN when all were skipped. */
  loss: number;
  lRec: number;
  lFr: number;
  lCl: number;
  lr: number;
  /** Momentum of the step's last EMA update (one per data iteration); NaN when all batches were skipped. */
  emaMomentum: number;
  /** Global gradient norm before clipping (only computed when clipping). */
  gradNorm?: number;
  imagesPerSec: number;
  skippedBatches: number;
  /** Set on the step whose checkpoint was just committed. */
  checkpointKey?: string;
}

export interface PretrainResult {
  /** completed: all epochs; stopped: maxSteps reached; cancelled: the signal fired (a checkpoint was written). */
  status: 'completed' | 'stopped' | 'cancelled';
  step: number;
  totalSteps: number;
  /** Prefix of the newest committed checkpoint. */
  checkpointKey: string | null;
  normalization: ChannelStats;
  lastLosses: LossValues | null;
  skippedBatches: number;
  /** Faces per second over the steps this call ran. */
  imagesPerSec: number;
  resumedFromStep: number | null;
  backend: string;
}

export interface RunPretrainingOptions {
  config: PretrainConfigInput | PretrainConfig;
  store: ArtifactStore;
  runId: string;
  signal?: AbortSignal;
  onProgress?: (p: PretrainProgress) => void;
  /** Faces to train on; default: the prepared sets named by config.data.prepared, read from `store`. */
  source?: FaceSource;
  log?: (line: string) => void;
}

/** Config fields that may change between an interrupted run and its resumption. */
const RESUMABLE_CHANGES = new Set(['maxSteps', 'checkpointEverySteps', 'keepLastCheckpoints', 'tensor']);

export async function runPretraining(opts: RunPretrainingOptions): Promise<PretrainResult> {
  const config = parsePretrainConfig(opts.config);
  const { store, runId, signal } = opts;
  const log = opts.log ?? (() => {});
  const backend = await initBackend({ prefer: config.tensor.backend, log });
  const resume = await resumeFrom(store, runId);
  if (resume) assertSameRun(runId, resume.state.config, config);
  signal?.throwIfAborted();

  const windowShards = config.data.shuffleWindowShards;
  const source =
    opts.source ?? (await openPreparedFaces(store, config.data.prepared, { splits: config.data.splits, cacheShards: 2 * windowShards + 2 }));
  let index: DataIndex;
  let normalization: ChannelStats;
  if (resume) {
    index = resume.state.data;
    normalization = resume.state.normalization;
  } else {
    const wantStats = config.data.normalization === 'dataset';
    const built = await buildDataIndex(source, { splits: config.data.splits }, { withStats: wantStats, signal });
    index = built.index;
    normalization = built.stats ?? (config.data.normalization as ChannelStats);
    log(`[train] ${runId}: ${index.total} real faces in ${index.shards.length} shards; mean ${fmt(normalization.mean)} std ${fmt(normalization.std)}`);
  }
  const plan = stepPlan(index.total, config);

  const model = new FsfmModel(config.model);
  const adamw = new AdamW(model.paramGroups(), { betas: config.betas, eps: config.adamEps, weightDecay: config.weightDecay });
  const accum = new GradientAccumulator();
  let loader: BatchLoader | null = null;
  try {
    let step = 0;
    let maskRng = Rng.fromSeed(streamSeed(config.seed, 'mask'));
    let skippedBatches = 0;
    let trainMs = 0;
    let lastLosses: LossValues | null = null;
    let checkpointKey: string | null = null;
    let checkpointStep = -1;
    if (resume) {
      if (resume.state.arch) {
        assertSameArch(model.arch, resume.state.arch, { model: `the model of run ${runId}`, source: `checkpoint ${resume.prefix}` });
      }
      loadModelWeights(model, resume);
      adamw.loadState(resume.optimizer);
      step = resume.state.step;
      maskRng = Rng.fromState(resume.state.maskRng);
      skippedBatches = resume.state.skippedBatches;
      trainMs = resume.state.trainMs;
      lastLosses = resume.state.lastLosses;
      checkpointKey = resume.prefix;
      checkpointStep = step;
      log(`[train] ${runId}: resuming at step ${step} of ${plan.totalSteps} from ${resume.prefix}`);
    }
    const resumedFromStep = resume ? step : null;

    const arch = model.arch;
    const masker = new Masker(config.masking);
    loader = new BatchLoader(
      {
        source,
        index,
        seed: config.seed,
        windowShards,
        batchSize: config.batchSize,
        batchesPerEpoch: plan.stepsPerEpoch * plan.accumIter,
        epochs: plan.epochs,
        imageSizePx: arch.imageSizePx,
        resizeKernel: config.data.resizeKernel,
        normalization,
        patchRegions: (map) => masker.patchRegions(map),
        requireRegionMaps: config.masking.strategy !== 'random',
        prefetch: config.data.prefetchBatches,
      },
      stepPosition(plan, step),
    );

    const schedule = { peakLr: peakLr(config), minLr: config.minLr, warmupEpochs: config.warmupEpochs, epochs: config.epochs };
    const stopAt = Math.min(plan.totalSteps, config.maxSteps ?? Number.POSITIVE_INFINITY);
    const checkpoint = async (): Promise<string> => {
      const contents: CheckpointContents = {
        ...modelWeights(model),
        optimizer: adamw.state(),
        state: trainState({ config, arch: model.arch, plan, step, maskRng, index, normalization, skippedBatches, lastLosses, backend: backend.backend, trainMs }),
      };
      const { prefix } = await writeCheckpoint(store, runId, contents, { keepLast: config.keepLastCheckpoints });
      checkpointKey = prefix;
      checkpointStep = step;
      return prefix;
    };

    const totalIterations = plan.epochs * plan.batchesPerEpoch;
    const dataIteration = (pos: { epoch: number; batchInEpoch: number }, k: number) => pos.epoch * plan.batchesPerEpoch + pos.batchInEpoch + k;
    const optimizerStep = (lr: number): number | undefined => {
      const grads = accum.take(config.accumIter);
      try {
        const norm = config.clipGrad !== null ? clipByGlobalNorm(grads, config.clipGrad) : undefined;
        adamw.step(grads, lr);
        return norm;
      } finally {
        tf.dispose([...grads.values()]);
      }
    };

    const facesPerStep = config.batchSize * config.accumIter;
    const startStep = step;
    let loopMs = 0;
    while (step < stopAt && !signal?.aborted) {
      const started = performance.now();
      const pos = stepPosition(plan, step);
      const lr = learningRate(pos.epochFloat, schedule);
      const sums = { loss: 0, lRec: 0, lFr: 0, lCl: 0 };
      let used = 0;
      let gradNorm: number | undefined;
      let emaMomentum = Number.NaN;
      for (let k = 0; k < config.accumIter; k++) {
        const batch = await loader.next();
        if (batch.epoch !== pos.epoch || batch.batchInEpoch !== pos.batchInEpoch + k) {
          throw new Error(`data order out of step: got batch ${batch.epoch}/${batch.batchInEpoch}, expected ${pos.epoch}/${pos.batchInEpoch + k}`);
        }
        const masks = masker.maskRegions(batch.regions, maskRng);
        const images = tf.tensor4d(batch.images, [config.batchSize, arch.imageSizePx, arch.imageSizePx, 3]);
        let out: ReturnType<FsfmModel['lossAndGradients']>;
        try {
          out = model.lossAndGradients({ images, mask: masks.mask, facialRegion: masks.facialRegion });
        } finally {
          images.dispose();
        }
        const { losses, grads } = out;
        const verdict = lossVerdict(losses);
        if (verdict !== 'ok') tf.dispose([...grads.values()]);
        if (verdict === 'skip') {
          skippedBatches += 1;
          log(`[train] ${runId}: step ${step} batch ${k}: L_cl is ${losses.lCl}, batch skipped`);
          continue;
        }
        if (verdict === 'diverged') {
          throw new TrainingDiverged(
            `pretraining diverged at step ${step}: loss ${losses.loss} (L_rec ${losses.lRec}, L_fr ${losses.lFr}, L_cl ${losses.lCl})`,
            step,
            losses,
          );
        }
        accum.add(grads);
        for (const key of ['loss', 'lRec', 'lFr', 'lCl'] as const) sums[key] += losses[key];
        used += 1;
        if (k === config.accumIter - 1) gradNorm = optimizerStep(lr);
        // The reference's engine: the target follows the online network after every data iteration, so the
        // next micro-batch's target features already see this update.
        emaMomentum = model.updateTarget(dataIteration(pos, k), totalIterations);
      }
      // The step's last batch was skipped: the accumulated gradients still make the step, without an EMA update.
      if (accum.passes > 0) gradNorm = optimizerStep(lr);
      step += 1;
      const means = { loss: sums.loss / used, lRec: sums.lRec / used, lFr: sums.lFr / used, lCl: sums.lCl / used };
      if (used > 0) lastLosses = means;
      const stepMs = performance.now() - started;
      trainMs += stepMs;
      loopMs += stepMs;
      const progress: PretrainProgress = {
        step,
        totalSteps: plan.totalSteps,
        epoch: pos.epoch,
        ...means,
        lr,
        emaMomentum,
        gradNorm,
        imagesPerSec: facesPerStep / (stepMs / 1000),
        skippedBatches,
      };
      if (step % config.checkpointEverySteps === 0 && step < stopAt) progress.checkpointKey = await checkpoint();
      opts.onProgress?.(progress);
      // Let the event loop run (abort messages, IPC, the loader's continuations) between synchronous steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }

    if (step > checkpointStep || checkpointKey === null) {
      const key = await checkpoint();
      if (step > startStep || resume === null) log(`[train] ${runId}: checkpoint ${key}`);
    }
    const status: PretrainResult['status'] = step >= plan.totalSteps ? 'completed' : signal?.aborted ? 'cancelled' : 'stopped';
    return {
      status,
      step,
      totalSteps: plan.totalSteps,
      checkpointKey,
      normalization,
      lastLosses,
      skippedBatches,
      imagesPerSec: step > startStep ? ((step - startStep) * facesPerStep) / (loopMs / 1000) : 0,
      resumedFromStep,
      backend: backend.backend,
    };
  } finally {
    loader?.close();
    accum.dispose();
    adamw.dispose();
    model.dispose();
  }
}

/**
 * The reference's guards: a batch whose L_cl is not finite is skipped (its gradients dropped); a non-finite total
 * with a finite L_cl means the run has diverged.
 */
export function lossVerdict(losses: LossValues): 'ok' | 'skip' | 'diverged' {
  if (!Number.isFinite(losses.lCl)) return 'skip';
  if (!Number.isFinite(losses.loss)) return 'diverged';
  return 'ok';
}

function trainState(s: {
  config: PretrainConfig;
  arch: FsfmArch;
  plan: StepPlan;
  step: number;
  maskRng: Rng;
  index: DataIndex;
  normalization: ChannelStats;
  skippedBatches: number;
  lastLosses: LossValues | null;
  backend: string;
  trainMs: number;
}): TrainState {
  const pos = stepPosition(s.plan, s.step);
  return {
    format: 'fsfm-pretrain-state/1',
    step: s.step,
    totalSteps: s.plan.totalSteps,
    epoch: pos.epoch,
    batchInEpoch: pos.batchInEpoch,
    maskRng: s.maskRng.state(),
    shuffle: { seed: s.config.seed, windowShards: s.config.data.shuffleWindowShards },
    normalization: s.normalization,
    data: s.index,
    config: s.config,
    arch: s.arch,
    skippedBatches: s.skippedBatches,
    lastLosses: s.lastLosses,
    backend: s.backend,
    trainMs: s.trainMs,
  };
}

/** A run id's checkpoints must come from the same training setup; only operational knobs may change. */
function assertSameRun(runId: string, stored: PretrainConfig, given: PretrainConfig): void {
  const differs: string[] = [];
  const keys = new Set([...Object.keys(stored), ...Object.keys(given)]);
  for (const key of keys) {
    if (RESUMABLE_CHANGES.has(key)) continue;
    const a = (stored as Record<string, unknown>)[key];
    const b = (given as Record<string, unknown>)[key];
    if (key === 'data') {
      const { prefetchBatches: _a, ...da } = a as PretrainConfig['data'];
      const { prefetchBatches: _b, ...db } = b as PretrainConfig['data'];
      if (canonical(da) !== canonical(db)) differs.push(key);
    } else if (canonical(a) !== canonical(b)) differs.push(key);
  }
  if (differs.length) {
    throw new InvalidConfig(
      `run ${runId} has checkpoints made with a different config (${differs.join(', ')} differ); use a new run id or the same config`,
    );
  }
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}

function fmt(xs: readonly number[]): string {
  return `[${xs.map((x) => x.toFixed(4)).join(', ')}]`;
}
