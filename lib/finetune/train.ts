/**
 * Finetuning a classifier on prepared faces (method notes §6; the reference's main_finetune_DfD.py on MAE's
 * engine_finetune.py):
 *
 *   for each optimizer step:  lr from the per-iteration warmup + cosine schedule (× each layer's decay scale)
 *     for each of accumIter batches:  faces drawn for the epoch (class-balanced, with replacement)
 *        -> train transform (dfd: RandomResizedCrop, flip, RandAugment, normalise, random erasing; fas: saturation,
 *           resize, flip) -> mixup/cutmix with smoothed targets (soft-target CE), or label-smoothing CE without
 *     AdamW (decay except 1-D, pos_embed, cls_token) on Σ gradients / accumIter
 *   at the end of every epoch: mean cross-entropy on the validation split (eval transform, no augmentation);
 *     a new lowest loss commits the selected model (selection 'source-val-loss'); 'last' selects the final weights
 *   every checkpointEverySteps, at maxSteps, at the end and on cancel: a committed checkpoint
 *
 * Resume: the data order, every augmentation and every mixup draw are pure functions of (seed, epoch, batch,
 * position), and weights, optimizer moments, history, the running epoch loss and the best selection so far are in
 * the checkpoint, so a resumed run repeats exactly what the uninterrupted one computed and ends with bit-identical
 * weights. Drop path (model.dropPathRate, 0.1 for dfd) and the FAS head's dropout are seeded per (seed, epoch,
 * batch) too; TF.js draws seeded uniforms in JavaScript, so two runs with one seed on one backend are identical.
 */
import { assertSameArch, encoderArch, type FsfmArch } from '../model/presets.js';
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';
import type { RgbImage } from '../faces/image.js';
import { ClassifierModel } from '../model/heads.js';
import type { NamedVariable } from '../model/model.js';
import type { ArtifactStore } from '../store/types.js';
import { initBackend } from '../tensor/backend.js';
import { evaluateScores } from '../eval/evaluate.js';
import type { ScoreRow } from '../eval/aggregate.js';
import { AdamW } from '../train/adamw.js';
import { TrainingDiverged } from '../train/errors.js';
import { clipByGlobalNorm, GradientAccumulator } from '../train/gradients.js';
import { learningRate } from '../train/schedule.js';
import {
  type ClassifierInputSpec,
  classifierWeights,
  type FinetuneEpochRecord,
  type FinetuneState,
  resumeFinetune,
  type SelectedModelRef,
  toTensors,
  writeFinetuneCheckpoint,
  writeSelectedModel,
  selectedModelPrefix,
} from './checkpoint.js';
import { type FaceRef, PreparedFaceReader, refsDigest } from './data.js';
import { buildInitialModel } from './init.js';
import { decaysWeight, layerLrScale } from './layer-decay.js';
import { crossEntropy, labelSmoothingCrossEntropy, softTargetCrossEntropy } from './losses.js';
import { mixBatch, type MixupOptions } from './mixup.js';
import { type FinetuneConfig, type FinetuneConfigInput, type FinetuneSelection, finetunePeakLr, parseFinetuneConfig, selectsOnTarget } from './options.js';
import { PerDomainSampler } from './domain-sampler.js';
import { FinetuneRng, subSeed } from './random.js';
import { classBalancedSampler } from './sampler.js';
import { dfdTrainTransform, evalTransform, fasEvalTransform, fasTrainTransform, type Normalization } from './transforms.js';

export interface FinetuneProgress {
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  /** Epoch of the step just done. */
  epoch: number;
  /** Training loss of the step (mean over its batches). */
  loss: number;
  lr: number;
  imagesPerSec: number;
  /** Set on the step whose checkpoint was just committed. */
  checkpointKey?: string;
  /** Set on the step that ended an epoch. */
  epochRecord?: FinetuneEpochRecord;
  /** Set when this step's validation made a new selected model. */
  bestKey?: string;
}

export interface FinetuneResult {
  /** completed: all epochs; stopped: maxSteps reached; cancelled: the signal fired (a checkpoint was written). */
  status: 'completed' | 'stopped' | 'cancelled';
  step: number;
  totalSteps: number;
  /** The selected model's set (runs/<id>/finetune/best/<step>); null before the first validation ('last': until the end). */
  bestKey: string | null;
  bestValLoss: number | null;
  bestEpoch: number | null;
  /** Per-domain selection: each domain's selected model (its set, epoch and that domain's val loss); else null. */
  bestByDomain: Record<string, SelectedModelRef> | null;
  /** The newest committed checkpoint. */
  lastKey: string | null;
  history: FinetuneEpochRecord[];
  resumedFromStep: number | null;
  normalization: ClassifierInputSpec['normalization'];
  /** Faces per second over the training steps this call ran (validation excluded). */
  imagesPerSec: number;
  /** Mean wall time of this call's training steps. */
  msPerStep: number;
  backend: string;
}

export interface RunFinetuningOptions {
  config: FinetuneConfigInput | FinetuneConfig;
  store: ArtifactStore;
  runId: string;
  signal?: AbortSignal;
  onProgress?: (p: FinetuneProgress) => void;
  log?: (line: string) => void;
  /** Folder for the local shard cache (default: the OS temp folder). */
  cacheRoot?: string;
}

/** Config fields that may change between an interrupted run and its resumption. */
const RESUMABLE_CHANGES = new Set(['maxSteps', 'checkpointEverySteps', 'keepLastCheckpoints', 'tensor', 'valBatchSize']);

interface Plan {
  batchesPerEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

export async function runFinetuning(opts: RunFinetuningOptions): Promise<FinetuneResult> {
  const config = parseFinetuneConfig(opts.config);
  const { store, runId, signal } = opts;
  const log = opts.log ?? (() => {});
  const backend = await initBackend({ prefer: config.tensor.backend, log });
  const resume = await resumeFinetune(store, runId);
  if (resume) assertSameRun(runId, resume.state.config, config);
  signal?.throwIfAborted();

  const { trainSplit, valSplit, targetDomain, targetSplit } = config.data;
  const onTarget = selectsOnTarget(config.selection);
  const perDomain = config.selection === 'target-val-loss-per-domain';
  if (onTarget && !perDomain) {
    log(`[finetune] ${runId}: WARNING selection '${config.selection}' picks the model on target-domain faces (${targetDomain}, split ${targetSplit}); results are optimistic for cross-domain claims`);
  }
  const wantedSplits = [trainSplit, ...(valSplit && !onTarget ? [valSplit] : []), ...(onTarget ? [targetSplit] : [])];
  const reader = await PreparedFaceReader.open(store, config.data.prepared, {
    splits: [...new Set(wantedSplits)],
    cacheRoot: opts.cacheRoot,
    signal,
  });
  let model: ClassifierModel | null = null;
  let adamw: AdamW | null = null;
  const accum = new GradientAccumulator();
  try {
    const { trainRefs, valRefs, selectionDomains } = selectRefs(reader, config);
    if (perDomain) {
      log(`[finetune] ${runId}: WARNING selection '${config.selection}' picks one model per domain on target-domain faces (${selectionDomains.join(', ')}, split ${targetSplit}); results are optimistic for cross-domain claims`);
    }
    assertTrainable(trainRefs, valRefs, config);
    const domainSampler =
      config.data.sampling === 'per-domain' ? new PerDomainSampler(trainRefs, config.data.perDomain, subSeed(config.seed, 'per-domain')) : null;
    const plan = domainSampler ? perDomainPlan(domainSampler.batchSize, config) : makePlan(trainRefs.length, config);
    if (domainSampler) log(`[finetune] ${runId}: per-domain batches of ${domainSampler.batchSize} from ${domainSampler.domains.join(', ')}`);
    const dataId = { train: trainRefs.length, val: valRefs.length, trainDigest: refsDigest(trainRefs), valDigest: refsDigest(valRefs) };

    let input: ClassifierInputSpec;
    let initInfo: FinetuneState['init'];
    if (resume) {
      const d = resume.state.data;
      if (d.trainDigest !== dataId.trainDigest || d.valDigest !== dataId.valDigest) {
        throw new InvalidConfig(`run ${runId} was trained on other faces (${d.train} train / ${d.val} val, now ${dataId.train} / ${dataId.val}); use a new run id`);
      }
      model = new ClassifierModel(config.model);
      if (resume.state.input.arch) {
        assertSameArch(encoderArch(model.arch), resume.state.input.arch, { model: `the model of run ${runId}`, source: `checkpoint ${resume.prefix}` });
      }
      const tensors = toTensors(resume.model);
      try {
        model.loadWeights(tensors);
      } finally {
        tf.dispose([...tensors.values()]);
      }
      input = resume.state.input;
      initInfo = resume.state.init;
    } else {
      const initial = await buildInitialModel(config, store);
      model = initial.model;
      input = inputSpec(config, model.arch, initial.normalization);
      initInfo = { from: config.init.from, source: initial.source, loaded: initial.report?.loaded.length ?? 0, missing: initial.report?.missing ?? [] };
      log(
        `[finetune] ${runId}: ${trainRefs.length} train / ${valRefs.length} val faces; init ${config.init.from}${initial.source ? ` from ${initial.source}` : ''}` +
          (initial.report ? ` (${initial.report.loaded.length} encoder tensors loaded${initial.report.missing.length ? `, missing ${initial.report.missing.join(', ')}` : ''})` : ''),
      );
    }
    const normalization: Normalization = input.normalization;
    const depth = model.arch.depth;
    const sizePx = model.arch.imageSizePx;
    const adam = config.optimizer === 'adam';
    // torch Adam's weight_decay applies to every parameter it is given (the FAS recipe gives it all of them).
    adamw = new AdamW(adam ? { decay: model.trainableVariables(), noDecay: [] } : decayGroups(model.trainableVariables()), {
      betas: config.betas,
      eps: config.adamEps,
      weightDecay: config.weightDecay,
      lrScale: (name) => layerLrScale(name, depth, config.layerDecay),
      decoupled: !adam,
    });

    let step = 0;
    let history: FinetuneEpochRecord[] = [];
    let epochLoss = { sum: 0, count: 0 };
    let best: SelectedModelRef | null = null;
    let bestByDomain: Record<string, SelectedModelRef> = {};
    let trainMs = 0;
    let epochEndPending = false;
    let lastKey: string | null = null;
    let checkpointStep = -1;
    if (resume) {
      adamw.loadState(resume.optimizer);
      ({ step, history, epochLoss, best, trainMs, epochEndPending } = resume.state);
      bestByDomain = resume.state.bestByDomain ?? {};
      lastKey = resume.prefix;
      checkpointStep = step;
      log(`[finetune] ${runId}: resuming at step ${step} of ${plan.totalSteps} from ${resume.prefix}`);
    }
    const resumedFromStep = resume ? step : null;
    const stopAt = Math.min(plan.totalSteps, config.maxSteps ?? Number.POSITIVE_INFINITY);
    const schedule = { peakLr: finetunePeakLr(config), minLr: config.minLr, warmupEpochs: config.warmupEpochs, epochs: config.epochs };
    const B = domainSampler ? domainSampler.batchSize : config.batchSize;
    const reg = config.regularization;
    const mixing = (reg.mixupAlpha > 0 || reg.cutmixAlpha > 0) && reg.mixupProb > 0;
    const mixOptions: MixupOptions = {
      mixupAlpha: reg.mixupAlpha,
      cutmixAlpha: reg.cutmixAlpha,
      prob: reg.mixupProb,
      switchProb: reg.mixupSwitchProb,
      labelSmoothing: reg.labelSmoothing,
      numClasses: 2,
    };

    // Data order: epoch -> face indices of all its batches (a pure function of seed and epoch).
    const sampler = config.data.sampling === 'class-balanced' ? classBalancedSampler(trainRefs, config.balanceWithin) : null;
    let orderCache: { epoch: number; order: Int32Array } | null = null;
    const epochOrder = (epoch: number): Int32Array => {
      if (orderCache?.epoch !== epoch) {
        const rng = FinetuneRng.fromSeed(subSeed(config.seed, 'sample', epoch));
        const count = plan.batchesPerEpoch * B;
        const order = sampler ? sampler.sample(count, rng) : Int32Array.from(rng.shuffle(Array.from({ length: trainRefs.length }, (_, i) => i)).slice(0, count));
        orderCache = { epoch, order };
      }
      return orderCache.order;
    };
    const passRefs = (pass: number): FaceRef[] => {
      if (domainSampler) return Array.from(domainSampler.batch(pass), (i) => trainRefs[i]);
      const epoch = Math.floor(pass / (plan.stepsPerEpoch * config.accumIter));
      const batch = pass % (plan.stepsPerEpoch * config.accumIter);
      const order = epochOrder(epoch);
      return Array.from(order.subarray(batch * B, (batch + 1) * B), (i) => trainRefs[i]);
    };
    const prefetch = new Prefetcher((pass) => reader.read(passRefs(pass)), config.data.prefetchBatches, plan.totalSteps * config.accumIter);

    const trainTransform = (image: RgbImage, rng: FinetuneRng): Float32Array =>
      config.task === 'fas'
        ? fasTrainTransform(image, sizePx, config.fasAugment, normalization, rng)
        : dfdTrainTransform(image, sizePx, config.augment, normalization, rng);

    /** One forward/backward pass over batch `pass`; adds its gradients to `accum`, returns its loss. */
    const trainPass = async (pass: number): Promise<number> => {
      const refs = passRefs(pass);
      const images = await prefetch.take(pass);
      const epoch = Math.floor(pass / (plan.stepsPerEpoch * config.accumIter));
      const batch = pass % (plan.stepsPerEpoch * config.accumIter);
      const pixels = new Float32Array(B * sizePx * sizePx * 3);
      images.forEach((img, i) => pixels.set(trainTransform(img, FinetuneRng.fromSeed(subSeed(config.seed, 'augment', epoch, batch, i))), i * sizePx * sizePx * 3));
      const labels = refs.map((r) => (r.label === 'fake' ? 1 : 0));
      let x: Float32Array = pixels;
      let loss: (logits: tf.Tensor2D) => tf.Scalar;
      if (mixing) {
        const mixed = mixBatch({ images: pixels, n: B, heightPx: sizePx, widthPx: sizePx, channels: 3 }, labels, mixOptions, FinetuneRng.fromSeed(subSeed(config.seed, 'mix', epoch, batch)));
        x = mixed.images;
        loss = (logits) => softTargetCrossEntropy(logits, mixed.targets);
      } else if (reg.labelSmoothing > 0) {
        loss = (logits) => labelSmoothingCrossEntropy(logits, labels, reg.labelSmoothing);
      } else {
        loss = (logits) => crossEntropy(logits, labels);
      }
      const xT = tf.tensor4d(x, [B, sizePx, sizePx, 3]);
      let out: ReturnType<ClassifierModel['lossAndGradients']>;
      try {
        out = model!.lossAndGradients(xT, loss, subSeed(config.seed, 'noise', epoch, batch));
      } finally {
        xT.dispose();
      }
      if (!Number.isFinite(out.loss)) {
        tf.dispose([...out.grads.values()]);
        throw new TrainingDiverged(`finetuning diverged at step ${Math.floor(pass / config.accumIter)}: loss ${out.loss}`, Math.floor(pass / config.accumIter), {
          loss: out.loss,
          lRec: Number.NaN,
          lFr: Number.NaN,
          lCl: Number.NaN,
        });
      }
      accum.add(out.grads);
      return out.loss;
    };

    const evalX = (image: RgbImage): Float32Array =>
      input.evalTransform.kind === 'fas' ? fasEvalTransform(image, sizePx, normalization) : evalTransform(image, sizePx, input.evalTransform.cropPct, normalization);

    /**
     * Mean cross-entropy over the validation faces; null when cancelled part-way. The last epoch's validation is
     * finished even when cancelled: no later step's checkpoint could record it, and the run's result needs it.
     */
    const validate = async (): Promise<ValidationResult | null> => {
      const vb = config.valBatchSize ?? B;
      const finishAnyway = step >= plan.totalSteps;
      let sum = 0;
      const byDomain = new Map<string, { sum: number; count: number }>();
      const rows: ScoreRow[] = [];
      let next: Promise<RgbImage[]> | null = valRefs.length ? reader.read(valRefs.slice(0, vb)) : null;
      for (let start = 0; start < valRefs.length; start += vb) {
        if (signal?.aborted && !finishAnyway) return null;
        const refs = valRefs.slice(start, start + vb);
        const images = await next!;
        next = start + vb < valRefs.length ? reader.read(valRefs.slice(start + vb, start + 2 * vb)) : null;
        next?.catch(() => {});
        const pixels = new Float32Array(refs.length * sizePx * sizePx * 3);
        images.forEach((img, i) => pixels.set(evalX(img), i * sizePx * sizePx * 3));
        const labels = refs.map((r) => (r.label === 'fake' ? 1 : 0));
        const [value, pFake, faceLosses] = tf.tidy(() => {
          const logits = model!.forwardLogits(tf.tensor4d(pixels, [refs.length, sizePx, sizePx, 3]), false);
          const probs = tf.softmax(logits).slice([0, 1], [refs.length, 1]);
          // Per-face cross-entropy only where per-domain means are needed.
          const faces = perDomain ? (tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(labels, 'int32'), 2)), -1)).dataSync() as Float32Array) : new Float32Array(0);
          return [crossEntropy(logits, labels).dataSync()[0], probs.dataSync() as Float32Array, faces] as const;
        });
        sum += value * refs.length;
        const perFace = faceLosses;
        if (perDomain) {
          refs.forEach((r, i) => {
            const d = byDomain.get(r.domain!) ?? { sum: 0, count: 0 };
            byDomain.set(r.domain!, { sum: d.sum + perFace[i], count: d.count + 1 });
          });
        }
        refs.forEach((r, i) => rows.push({ id: r.faceId, group: r.group || r.videoId, label: r.label, score: Math.min(1, Math.max(0, pFake[i])) }));
        await yieldToEventLoop();
      }
      const lossByDomain = perDomain ? Object.fromEntries([...byDomain].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, v]) => [d, v.sum / v.count])) : undefined;
      return { loss: sum / valRefs.length, ...validationRates(rows), ...(lossByDomain ? { lossByDomain } : {}) };
    };

    /**
     * Validation, history and selection for the epoch that step `step` ended; null when cancelled part-way (the
     * checkpoint then records the epoch end as pending, and the resumed run does it first).
     */
    const endEpoch = async (): Promise<{ record: FinetuneEpochRecord; bestKey?: string } | null> => {
      const epoch = step / plan.stepsPerEpoch - 1;
      const val = valRefs.length ? await validate() : null;
      if (valRefs.length && val === null) return null;
      const valLoss = val?.loss ?? null;
      if (valLoss !== null && !Number.isFinite(valLoss)) {
        throw new TrainingDiverged(`validation loss is ${valLoss} after epoch ${epoch}`, step, { loss: valLoss, lRec: Number.NaN, lFr: Number.NaN, lCl: Number.NaN });
      }
      const record: FinetuneEpochRecord = { epoch, step, trainLoss: epochLoss.count ? epochLoss.sum / epochLoss.count : Number.NaN, valLoss };
      if (val && val.hter !== null) Object.assign(record, { valHter: val.hter, valAuc: val.auc, valLiveTprAtAttackFpr1pct: val.liveTpr });
      if (val?.lossByDomain) record.valLossByDomain = val.lossByDomain;
      history = [...history, record];
      epochLoss = { sum: 0, count: 0 };
      let bestKey: string | undefined;
      const lastEpoch = step >= plan.totalSteps;
      const better = isBetter(config.selection, record, best);
      const hterText = record.valHter !== undefined ? ` HTER ${(record.valHter * 100).toFixed(2)}%` : '';
      const domains = perDomain ? improvedDomains(record, bestByDomain) : [];
      if (better || (config.selection === 'last' && lastEpoch) || domains.length) {
        const prefix = await writeSelectedModel(
          store,
          runId,
          classifierWeights(model!),
          { step, epoch, valLoss, selection: config.selection, input, ...(perDomain ? { domains } : {}) },
          { pointer: better || config.selection === 'last' },
        );
        for (const d of domains) bestByDomain = { ...bestByDomain, [d]: { key: prefix, step, epoch, valLoss: record.valLossByDomain![d] } };
        if (domains.length) log(`[finetune] ${runId}: epoch ${epoch} selected ${prefix} for ${domains.map((d) => `${d} (val loss ${record.valLossByDomain![d].toFixed(4)})`).join(', ')}`);
      }
      if (better || (config.selection === 'last' && lastEpoch)) {
        bestKey = selectedModelPrefix(runId, step);
        best = { key: bestKey, step, epoch, valLoss, ...(record.valHter !== undefined ? { valHter: record.valHter } : {}) };
        log(`[finetune] ${runId}: epoch ${epoch} val loss ${valLoss?.toFixed(4) ?? '-'}${hterText}; selected ${bestKey}`);
      } else {
        log(`[finetune] ${runId}: epoch ${epoch} val loss ${valLoss?.toFixed(4) ?? '-'}${hterText} (best ${best?.valLoss?.toFixed(4) ?? '-'})`);
      }
      return { record, bestKey };
    };

    const checkpoint = async (): Promise<string> => {
      const state: FinetuneState = {
        format: 'fsfm-finetune-state/1',
        step,
        totalSteps: plan.totalSteps,
        epoch: Math.floor(step / plan.stepsPerEpoch),
        config,
        input,
        data: dataId,
        history,
        epochLoss,
        epochEndPending,
        best,
        ...(perDomain ? { bestByDomain } : {}),
        init: initInfo,
        backend: backend.backend,
        trainMs,
      };
      const prefix = await writeFinetuneCheckpoint(store, runId, { state, model: classifierWeights(model!), optimizer: adamw!.state() }, { keepLast: config.keepLastCheckpoints });
      lastKey = prefix;
      checkpointStep = step;
      return prefix;
    };

    if (epochEndPending && !signal?.aborted) {
      const done = await endEpoch();
      if (done) epochEndPending = false;
    }

    const facesPerStep = B * config.accumIter;
    const startStep = step;
    let loopMs = 0;
    while (step < stopAt && !signal?.aborted) {
      const started = performance.now();
      const epoch = Math.floor(step / plan.stepsPerEpoch);
      const lr = learningRate(epoch + ((step % plan.stepsPerEpoch) * config.accumIter) / plan.batchesPerEpoch, schedule);
      let lossSum = 0;
      for (let k = 0; k < config.accumIter; k++) lossSum += await trainPass(step * config.accumIter + k);
      const grads = accum.take(config.accumIter);
      try {
        if (config.clipGrad !== null) clipByGlobalNorm(grads, config.clipGrad);
        adamw.step(grads, lr);
      } finally {
        tf.dispose([...grads.values()]);
      }
      step += 1;
      const loss = lossSum / config.accumIter;
      epochLoss = { sum: epochLoss.sum + loss, count: epochLoss.count + 1 };
      const stepMs = performance.now() - started;
      trainMs += stepMs;
      loopMs += stepMs;
      const progress: FinetuneProgress = { step, totalSteps: plan.totalSteps, epoch, loss, lr, imagesPerSec: facesPerStep / (stepMs / 1000) };
      if (step % plan.stepsPerEpoch === 0) {
        const done = await endEpoch();
        epochEndPending = done === null;
        if (done) {
          progress.epochRecord = done.record;
          if (done.bestKey) progress.bestKey = done.bestKey;
        }
      }
      if (step % config.checkpointEverySteps === 0 && step < stopAt && !signal?.aborted) progress.checkpointKey = await checkpoint();
      opts.onProgress?.(progress);
      // Let the event loop run (abort messages, IPC, prefetched reads) between synchronous steps.
      await yieldToEventLoop();
    }

    if (step > checkpointStep || lastKey === null || epochEndPending) {
      const key = await checkpoint();
      if (step > startStep || resume === null) log(`[finetune] ${runId}: checkpoint ${key}`);
    }
    const status: FinetuneResult['status'] = step >= plan.totalSteps && !epochEndPending ? 'completed' : signal?.aborted ? 'cancelled' : 'stopped';
    const ran = step - startStep;
    return {
      status,
      step,
      totalSteps: plan.totalSteps,
      bestKey: best?.key ?? null,
      bestValLoss: best?.valLoss ?? null,
      bestEpoch: best?.epoch ?? null,
      bestByDomain: perDomain ? bestByDomain : null,
      lastKey,
      history,
      resumedFromStep,
      normalization: input.normalization,
      imagesPerSec: ran > 0 ? (ran * facesPerStep) / (loopMs / 1000) : 0,
      msPerStep: ran > 0 ? loopMs / ran : 0,
      backend: backend.backend,
    };
  } finally {
    accum.dispose();
    adamw?.dispose();
    model?.dispose();
    await reader.close();
  }
}

interface ValidationResult {
  loss: number;
  /** Video-level FAS rates at the EER threshold (lib/eval); null when the faces hold one class only. */
  hter: number | null;
  auc: number | null;
  liveTpr: number | null;
  /** Per-domain selection: mean cross-entropy per domain. */
  lossByDomain?: Record<string, number>;
}

function validationRates(rows: readonly ScoreRow[]): Omit<ValidationResult, 'loss'> {
  const labels = new Set(rows.map((r) => r.label));
  if (labels.size < 2) return { hter: null, auc: null, liveTpr: null };
  const m = evaluateScores(rows, { bootstrap: { replicates: 0 } });
  return { hter: m.fas.hter, auc: m.fas.auc, liveTpr: m.fas.liveTprAtAttackFpr1pct };
}

/**
 * Whether the epoch just validated beats the selection so far: lower loss (strictly), or lower-or-equal HTER (ties
 * go to the later epoch, as the reference's `<=`).
 */
export function isBetter(selection: FinetuneSelection, record: FinetuneEpochRecord, best: SelectedModelRef | null): boolean {
  switch (selection) {
    case 'source-val-loss':
    case 'target-val-loss':
    case 'target-val-loss-per-domain':
      return record.valLoss !== null && (best === null || best.valLoss === null || record.valLoss < best.valLoss);
    case 'source-hter':
    case 'target-hter':
      return record.valHter !== undefined && (best === null || best.valHter === undefined || record.valHter <= best.valHter);
    case 'last':
      return false;
  }
}

/**
 * The domains whose models improved this epoch under per-domain selection: strictly lower loss than that domain's
 * selected model (the reference's DiFF loop: `val_stats['loss'] < min_val_loss[subset]`), in the record's order.
 */
export function improvedDomains(record: Pick<FinetuneEpochRecord, 'valLossByDomain'>, bestByDomain: Readonly<Record<string, Pick<SelectedModelRef, 'valLoss'>>>): string[] {
  return Object.entries(record.valLossByDomain ?? {})
    .filter(([d, loss]) => Number.isFinite(loss) && (bestByDomain[d]?.valLoss == null || loss < bestByDomain[d].valLoss!))
    .map(([d]) => d);
}

/** Train and validation faces: the target domain (if any) is left out of both; target selections validate on it. */
function selectRefs(reader: PreparedFaceReader, config: FinetuneConfig): { trainRefs: FaceRef[]; valRefs: FaceRef[]; selectionDomains: string[] } {
  const { trainSplit, valSplit, targetDomain, targetSplit } = config.data;
  if (config.selection === 'target-val-loss-per-domain') {
    const trainRefs = reader.refs(trainSplit);
    const trained = new Set(trainRefs.map((r) => r.domain).filter((d) => d !== undefined));
    const candidates = reader.refs(targetSplit).filter((r) => r.domain !== undefined && !trained.has(r.domain));
    const found = [...new Set(candidates.map((r) => r.domain!))].sort();
    const wanted = config.data.selectionDomains ?? found;
    const missing = wanted.filter((d) => !found.includes(d));
    if (missing.length) {
      throw new InvalidConfig(
        `selection '${config.selection}': no faces of domain${missing.length > 1 ? 's' : ''} ${missing.join(', ')} in split '${targetSplit}' outside training (found: ${found.join(', ') || 'none'})`,
      );
    }
    return { trainRefs, valRefs: candidates.filter((r) => wanted.includes(r.domain!)), selectionDomains: [...wanted] };
  }
  const notTarget = (r: FaceRef) => targetDomain === null || r.domain !== targetDomain;
  const trainAll = reader.refs(trainSplit);
  if (targetDomain !== null) {
    const known = new Set([...trainAll, ...reader.refs(targetSplit)].map((r) => r.domain).filter((d): d is string => d !== undefined));
    if (!known.has(targetDomain)) {
      throw new InvalidConfig(`target domain '${targetDomain}' is not among the prepared faces' domains (${[...known].sort().join(', ') || 'none recorded'})`);
    }
  }
  const trainRefs = trainAll.filter(notTarget);
  const valRefs = selectsOnTarget(config.selection)
    ? reader.refs(targetSplit).filter((r) => r.domain === targetDomain)
    : valSplit
      ? reader.refs(valSplit).filter(notTarget)
      : [];
  return { trainRefs, valRefs, selectionDomains: [] };
}

/** Per-domain sampling: fixed-size batches, `iterationsPerEpoch` optimizer steps between validations. */
function perDomainPlan(batchSize: number, config: FinetuneConfig): Plan {
  const stepsPerEpoch = config.data.iterationsPerEpoch ?? 100;
  return { batchesPerEpoch: stepsPerEpoch * config.accumIter, stepsPerEpoch, totalSteps: stepsPerEpoch * config.epochs };
}

/** Step bookkeeping: whole batches (drop_last), whole accumulation cycles per epoch. */
function makePlan(numTrain: number, config: FinetuneConfig): Plan {
  const batchesPerEpoch = Math.floor(numTrain / config.batchSize);
  const stepsPerEpoch = Math.floor(batchesPerEpoch / config.accumIter);
  if (stepsPerEpoch < 1) {
    throw new InvalidConfig(`${numTrain} training faces make no optimizer step: one needs batchSize × accumIter = ${config.batchSize * config.accumIter} faces`);
  }
  return { batchesPerEpoch, stepsPerEpoch, totalSteps: stepsPerEpoch * config.epochs };
}

function assertTrainable(trainRefs: readonly FaceRef[], valRefs: readonly FaceRef[], config: FinetuneConfig): void {
  const { trainSplit, valSplit, prepared } = config.data;
  const count = (refs: readonly FaceRef[], label: string) => refs.filter((r) => r.label === label).length;
  const missing = ['real', 'fake'].filter((label) => count(trainRefs, label) === 0);
  if (missing.length) {
    throw new InvalidConfig(
      `finetuning needs real and fake faces in split '${trainSplit}' of ${prepared.join(', ')}; it has ${count(trainRefs, 'real')} real and ${count(trainRefs, 'fake')} fake`,
    );
  }
  if ((config.selection === 'source-val-loss' || config.selection === 'source-hter') && valRefs.length === 0) {
    throw new InvalidConfig(`selection '${config.selection}' needs validation faces, but split '${valSplit}' of ${prepared.join(', ')} has none; set data.valSplit or selection 'last'`);
  }
  if (selectsOnTarget(config.selection) && config.selection !== 'target-val-loss-per-domain' && valRefs.length === 0) {
    throw new InvalidConfig(`selection '${config.selection}' needs faces of target domain '${config.data.targetDomain}' in split '${config.data.targetSplit}' of ${prepared.join(', ')}; there are none`);
  }
}

/** AdamW's two groups: weight decay on everything but 1-D parameters, pos_embed and cls_token. */
function decayGroups(params: NamedVariable[]): { decay: NamedVariable[]; noDecay: NamedVariable[] } {
  const decay: NamedVariable[] = [];
  const noDecay: NamedVariable[] = [];
  for (const p of params) (decaysWeight({ name: p.name, shape: p.variable.shape }) ? decay : noDecay).push(p);
  return { decay, noDecay };
}

function inputSpec(config: FinetuneConfig, arch: FsfmArch, normalization: ClassifierInputSpec['normalization']): ClassifierInputSpec {
  return {
    task: config.task,
    model: config.model,
    arch: encoderArch(arch),
    imageSizePx: arch.imageSizePx,
    normalization,
    evalTransform: config.task === 'fas' ? { kind: 'fas' } : { kind: 'dfd', cropPct: config.augment.evalCropPct },
  };
}


/** Reads batches ahead: while a (synchronous) step computes, the next batches' reads and PNG decodes proceed. */
class Prefetcher<T> {
  private readonly pending = new Map<number, Promise<T>>();

  constructor(
    private readonly load: (index: number) => Promise<T>,
    private readonly ahead: number,
    private readonly total: number,
  ) {}

  async take(index: number): Promise<T> {
    const value = this.get(index);
    this.pending.delete(index);
    for (const key of this.pending.keys()) if (key < index) this.pending.delete(key);
    for (let j = 1; j <= this.ahead && index + j < this.total; j++) this.get(index + j);
    return value;
  }

  private get(index: number): Promise<T> {
    let p = this.pending.get(index);
    if (!p) {
      p = this.load(index);
      // A prefetched batch that is never taken (cancel) must not surface as an unhandled rejection.
      p.catch(() => {});
      this.pending.set(index, p);
    }
    return p;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** A run id's checkpoints must come from the same training setup; only operational knobs may change. */
function assertSameRun(runId: string, stored: FinetuneConfig, given: FinetuneConfig): void {
  const differs: string[] = [];
  const keys = new Set([...Object.keys(stored), ...Object.keys(given)]);
  for (const key of keys) {
    if (RESUMABLE_CHANGES.has(key)) continue;
    let a = (stored as Record<string, unknown>)[key];
    let b = (given as Record<string, unknown>)[key];
    if (key === 'data') {
      const { prefetchBatches: _a, ...da } = a as FinetuneConfig['data'];
      const { prefetchBatches: _b, ...db } = b as FinetuneConfig['data'];
      a = da;
      b = db;
    }
    if (canonical(a) !== canonical(b)) differs.push(key);
  }
  if (differs.length) {
    throw new InvalidConfig(`run ${runId} has checkpoints made with a different config (${differs.join(', ')} differ); use a new run id or the same config`);
  }
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}
