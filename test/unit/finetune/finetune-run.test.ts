/**
 * runFinetuning on real faces (face-set.ts: the demo photos' faces, each as real and as a visibly altered fake).
 * Most runs use the 32 px test encoder so that the whole file stays within seconds; one runs the demo preset.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig, TransientError } from '../../../lib/errors.js';
import {
  bestPointerKey,
  listFinetuneCheckpoints,
  loadClassifier,
  readBestPointer,
  readFinetuneCheckpoint,
  readFinetuneLatest,
  resumeFinetune,
  selectedModelPrefix,
  type ModelSetMeta,
} from '../../../lib/finetune/checkpoint.js';
import { runFinetuningInChild } from '../../../lib/finetune/child-runner.js';
import { finetunePreset, parseFinetuneConfig, type FinetuneConfigInput } from '../../../lib/finetune/options.js';
import { type FinetuneProgress, runFinetuning } from '../../../lib/finetune/train.js';
import { readSet, SetWriter } from '../../../lib/store/sets.js';
import { runPretraining } from '../../../lib/train/pretrain.js';
import { tempStore } from '../train/helpers.js';
import { realFaceRecords, writeFaceSet } from './face-set.js';
import { TINY_ARCH, useTestBackend } from './helpers.js';

const FACES = 'prepared/faces';

/** 44 train faces at batch 8: 5 steps per epoch, 10 in all. */
function tiny(overrides: FinetuneConfigInput = {}): FinetuneConfigInput {
  return {
    epochs: 2,
    warmupEpochs: 0.5,
    batchSize: 8,
    baseLr: 0.1,
    checkpointEverySteps: 4,
    keepLastCheckpoints: 2,
    seed: 5,
    ...overrides,
    model: { preset: 'demo', arch: TINY_ARCH, ...(overrides.model as object) },
    data: { prepared: [FACES], ...overrides.data },
    tensor: { backend: 'wasm' },
  };
}

describe('finetuning on real faces', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    const records = await realFaceRecords();
    expect(records.filter((r) => r.split === 'train').length).toBeGreaterThanOrEqual(40);
    await writeFaceSet(ctx.store, FACES, records);
    await writeFaceSet(ctx.store, 'prepared/reals', records.filter((r) => r.label === 'real'));
  }, 60_000);
  afterAll(() => ctx.cleanup());

  it('from an FSFM pretraining checkpoint: validates every epoch, commits the selected model and the latest checkpoint', async () => {
    const pretrain = await runPretraining({
      config: {
        epochs: 1,
        warmupEpochs: 0.5,
        batchSize: 4,
        accumIter: 1,
        maxSteps: 2,
        model: { preset: 'demo', arch: TINY_ARCH },
        masking: { strategy: 'random' },
        data: { prepared: [FACES], splits: ['train'] },
        tensor: { backend: 'wasm' },
      },
      store: ctx.store,
      runId: 'pre',
    });
    const seen: FinetuneProgress[] = [];
    const r = await runFinetuning({
      config: tiny({ init: { from: 'fsfm', checkpoint: 'runs/pre/pretrain' } }),
      store: ctx.store,
      runId: 'ft-fsfm',
      onProgress: (p) => seen.push(p),
    });
    expect(r).toMatchObject({ status: 'completed', step: 10, totalSteps: 10, resumedFromStep: null, backend: 'wasm' });
    // 'checkpoint' normalisation: the pretraining run's channel stats travel into the classifier.
    expect(r.normalization).toEqual(pretrain.normalization);
    expect(r.history.map((h) => [h.epoch, h.step])).toEqual([[0, 5], [1, 10]]);
    for (const h of r.history) {
      expect(Number.isFinite(h.trainLoss)).toBe(true);
      expect(h.valLoss).toBeGreaterThan(0);
    }
    expect(seen.filter((p) => p.epochRecord).map((p) => p.step)).toEqual([5, 10]);
    expect(seen.map((p) => p.checkpointKey).filter(Boolean)).toEqual(['runs/ft-fsfm/finetune/ckpt/000000004', 'runs/ft-fsfm/finetune/ckpt/000000008']);

    // Selected model: the lower of the two validation losses, as its own committed set that best.json names.
    const bestEpoch = r.history[0].valLoss! <= r.history[1].valLoss! ? r.history[0] : r.history[1];
    expect(r.bestKey).toBe(selectedModelPrefix('ft-fsfm', bestEpoch.step));
    expect(r.bestValLoss).toBe(bestEpoch.valLoss);
    expect((await readBestPointer(ctx.store, 'ft-fsfm'))!.prefix).toBe(r.bestKey);
    const best = await readSet<ModelSetMeta>(ctx.store, r.bestKey!);
    expect(best!.kind).toBe('fsfm-finetune-model');
    expect(best!.meta).toMatchObject({ step: bestEpoch.step, epoch: bestEpoch.epoch, valLoss: bestEpoch.valLoss, selection: 'source-val-loss', head: 'dfd' });
    expect(best!.meta.input).toMatchObject({ task: 'dfd', imageSizePx: 32, normalization: pretrain.normalization, evalTransform: { kind: 'dfd' } });

    // Latest: the final step; older checkpoints pruned to keepLastCheckpoints; the encoder came from the checkpoint.
    expect(r.lastKey).toBe('runs/ft-fsfm/finetune/ckpt/000000010');
    expect((await readFinetuneLatest(ctx.store, 'ft-fsfm'))!.prefix).toBe(r.lastKey);
    expect((await listFinetuneCheckpoints(ctx.store, 'ft-fsfm')).map((c) => c.step)).toEqual([8, 10]);
    const last = await readFinetuneCheckpoint(ctx.store, r.lastKey!);
    expect(last.state.init).toMatchObject({ from: 'fsfm', source: pretrain.checkpointKey });
    expect(last.state.init.loaded).toBeGreaterThan(10);
    expect(last.state.init.missing).toEqual(['pos_embed']);

    // The run folder loads as a classifier (best.json followed).
    const loaded = await loadClassifier(ctx.store, 'runs/ft-fsfm/finetune');
    expect(loaded.prefix).toBe(r.bestKey);
    expect(loaded.model.head).toBe('dfd');
    loaded.model.dispose();
  });

  it('from scratch: ImageNet normalisation, selection of the last weights, no tensor left behind', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const r = await runFinetuning({ config: tiny({ selection: 'last', data: { valSplit: null } }), store: ctx.store, runId: 'ft-scratch' });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(r).toMatchObject({ status: 'completed', step: 10, bestKey: selectedModelPrefix('ft-scratch', 10), bestValLoss: null, bestEpoch: 1 });
    expect(r.normalization).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(r.history.map((h) => h.valLoss)).toEqual([null, null]);
    expect((await readSet<ModelSetMeta>(ctx.store, r.bestKey!))!.meta).toMatchObject({ selection: 'last', valLoss: null, step: 10 });
  });

  it('an interrupted run resumes from its checkpoint and ends with the weights of an uninterrupted one', async () => {
    // With the dfd default drop path (0.1): its draws are seeded per (seed, epoch, batch) like every other draw.
    const config = tiny({ checkpointEverySteps: 100, valBatchSize: 4 });
    expect(parseFinetuneConfig(config).model.dropPathRate).toBe(0.1);
    const straight = await runFinetuning({ config, store: ctx.store, runId: 'straight' });

    const abort = new AbortController();
    const first = await runFinetuning({
      config,
      store: ctx.store,
      runId: 'resumed',
      signal: abort.signal,
      onProgress: (p) => p.step === 3 && abort.abort(),
    });
    expect(first).toMatchObject({ status: 'cancelled', step: 3, lastKey: 'runs/resumed/finetune/ckpt/000000003', history: [] });
    expect((await listFinetuneCheckpoints(ctx.store, 'resumed')).map((c) => c.step)).toEqual([3]);

    // A selection committed after that checkpoint by a crashed attempt is the lost future: resuming removes it.
    const orphan = new SetWriter(ctx.store, selectedModelPrefix('resumed', 5));
    await orphan.put('model.bin', 'x');
    await orphan.commit('fsfm-finetune-model', {});
    await ctx.store.put(bestPointerKey('resumed'), JSON.stringify({ prefix: selectedModelPrefix('resumed', 5) }));
    const resumed = await resumeFinetune(ctx.store, 'resumed');
    expect(resumed!.state.step).toBe(3);
    expect(await readSet(ctx.store, selectedModelPrefix('resumed', 5))).toBeNull();
    expect(await readBestPointer(ctx.store, 'resumed')).toBeNull();

    const second = await runFinetuning({ config, store: ctx.store, runId: 'resumed' });
    expect(second).toMatchObject({ status: 'completed', resumedFromStep: 3, step: straight.step, totalSteps: straight.totalSteps });
    expect(second.history).toEqual(straight.history);
    expect(second.bestValLoss).toBe(straight.bestValLoss);
    const a = await readFinetuneCheckpoint(ctx.store, straight.lastKey!);
    const b = await readFinetuneCheckpoint(ctx.store, second.lastKey!);
    for (const [name, t] of a.model) expect(Buffer.from(b.model.get(name)!.values.buffer).equals(Buffer.from(t.values.buffer)), name).toBe(true);
    for (const [name, t] of a.optimizer.tensors) expect(Buffer.from(b.optimizer.tensors.get(name)!.values.buffer).equals(Buffer.from(t.values.buffer)), name).toBe(true);

    // Cancelled inside the first epoch's validation: the checkpoint marks the epoch end as pending, and the
    // resumed run validates first, then goes on to the same end.
    let armed = false;
    let reads = 0;
    const cancelInValidation = {
      get aborted() {
        // After step 4: read 1 is the loop's check before step 5, read 2 the first validation batch.
        return armed && ++reads >= 3;
      },
      throwIfAborted() {},
    } as unknown as AbortSignal;
    const cut = await runFinetuning({ config, store: ctx.store, runId: 'cut', signal: cancelInValidation, onProgress: (p) => (armed ||= p.step === 4) });
    expect(cut).toMatchObject({ status: 'cancelled', step: 5, history: [], bestKey: null });
    expect((await readFinetuneCheckpoint(ctx.store, cut.lastKey!)).state.epochEndPending).toBe(true);
    const rest = await runFinetuning({ config, store: ctx.store, runId: 'cut' });
    expect(rest).toMatchObject({ status: 'completed', resumedFromStep: 5, step: straight.step });
    expect(rest.history).toEqual(straight.history);
    expect(rest.bestValLoss).toBe(straight.bestValLoss);
  });

  it('a resumed run must keep its config', async () => {
    await expect(runFinetuning({ config: tiny({ checkpointEverySteps: 100, baseLr: 0.2 }), store: ctx.store, runId: 'resumed' })).rejects.toThrow(
      /different config \(baseLr differ\)/,
    );
  });

  it('refuses a training split without fakes, naming the counts', async () => {
    await expect(runFinetuning({ config: tiny({ data: { prepared: ['prepared/reals'] } }), store: ctx.store, runId: 'one-class' })).rejects.toThrow(InvalidConfig);
    await expect(runFinetuning({ config: tiny({ data: { prepared: ['prepared/reals'] } }), store: ctx.store, runId: 'one-class' })).rejects.toThrow(/22 real and 0 fake/);
  });

  it('the demo preset (112 px, 8 px patches, batch 8) trains on wasm', async () => {
    const config = finetunePreset('demo', { maxSteps: 2, checkpointEverySteps: 1000, data: { prepared: [FACES] }, tensor: { backend: 'wasm' } });
    const r = await runFinetuning({ config, store: ctx.store, runId: 'demo' });
    expect(r).toMatchObject({ status: 'stopped', step: 2, totalSteps: 15, lastKey: 'runs/demo/finetune/ckpt/000000002' });
    console.info(`demo preset finetune on ${r.backend}: ${r.msPerStep.toFixed(0)} ms/step at batch 8 (${r.imagesPerSec.toFixed(1)} faces/s)`);
  });

  it('in a child process: reports progress, and cancel() makes it checkpoint and stop', async () => {
    const seen: FinetuneProgress[] = [];
    const child = runFinetuningInChild({ config: tiny({ epochs: 50 }), storeUri: ctx.store.uri, runId: 'child', onProgress: (p) => seen.push(p) });
    child.once('progress', () => child.cancel());
    const r = await child.result;
    expect(r.status).toBe('cancelled');
    expect(r.step).toBeGreaterThanOrEqual(1);
    expect(r.step).toBeLessThan(r.totalSteps);
    expect(seen[0].step).toBe(1);
    expect((await listFinetuneCheckpoints(ctx.store, 'child')).map((c) => c.step)).toEqual([r.step]);
  });

  it('a crashed child fails with a TransientError, and the retry resumes from the newest committed checkpoint', async () => {
    const config = tiny({ checkpointEverySteps: 2 });
    const child = runFinetuningInChild({ config, storeUri: ctx.store.uri, runId: 'crash' });
    child.on('progress', (p: FinetuneProgress) => p.step === 3 && process.kill(child.pid!, 'SIGKILL'));
    await expect(child.result).rejects.toThrow(TransientError);
    // The kill races the child's next steps: step 2's checkpoint is committed, step 4's may be.
    const newest = (await listFinetuneCheckpoints(ctx.store, 'crash')).at(-1)!.step;
    expect([2, 4]).toContain(newest);
    const retry = await runFinetuning({ config, store: ctx.store, runId: 'crash' });
    expect(retry).toMatchObject({ status: 'completed', resumedFromStep: newest, step: 10 });
  });

  it('a typed failure in the child comes back as the same error type', async () => {
    const child = runFinetuningInChild({ config: tiny({ data: { prepared: ['prepared/reals'] } }), storeUri: ctx.store.uri, runId: 'child-bad' });
    await expect(child.result).rejects.toThrow(InvalidConfig);
  });
});
