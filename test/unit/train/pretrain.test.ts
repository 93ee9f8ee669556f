import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { listCheckpoints, readCheckpoint, readLatest, writeCheckpoint } from '../../../lib/train/checkpoint.js';
import { memoryFaceSource } from '../../../lib/train/data.js';
import { TrainingDiverged } from '../../../lib/train/errors.js';
import { lossVerdict, type PretrainProgress, runPretraining } from '../../../lib/train/pretrain.js';
import { useTestBackend } from '../model/backend-for-tests.js';
import { syntheticShards, tempStore, tinyConfig } from './helpers.js';

// 5 shards × 6 real faces (+ fakes) at 48 px, trained at 32 px: 7 batches of 4 per epoch, 3 steps of 2 batches.
const source = memoryFaceSource(syntheticShards({ shards: 5, framesPerVideo: 6, sizePx: 48 }));

describe('runPretraining', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    await useTestBackend();
  });
  beforeEach(async () => {
    ctx = await tempStore();
  });
  afterEach(() => ctx.cleanup());

  it('an interrupted and resumed run computes exactly the losses and weights of an uninterrupted one', async () => {
    const config = tinyConfig();
    const straight: PretrainProgress[] = [];
    const full = await runPretraining({ config, store: ctx.store, runId: 'straight', source, onProgress: (p) => straight.push(p) });
    expect(full).toMatchObject({ status: 'completed', step: 6, totalSteps: 6, resumedFromStep: null });
    expect(straight.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);

    // The same run, cancelled after step 2 (a checkpoint is written on abort), then resumed in a new call.
    const controller = new AbortController();
    const first: PretrainProgress[] = [];
    const cut = await runPretraining({
      config,
      store: ctx.store,
      runId: 'resumed',
      source,
      signal: controller.signal,
      onProgress: (p) => {
        first.push(p);
        if (p.step === 2) controller.abort();
      },
    });
    expect(cut).toMatchObject({ status: 'cancelled', step: 2 });
    expect(cut.checkpointKey).toBe('runs/resumed/pretrain/ckpt/000000002');
    const rest: PretrainProgress[] = [];
    const resumed = await runPretraining({ config, store: ctx.store, runId: 'resumed', source, onProgress: (p) => rest.push(p) });
    expect(resumed).toMatchObject({ status: 'completed', step: 6, resumedFromStep: 2 });

    const losses = (ps: PretrainProgress[]) => ps.map(({ step, loss, lRec, lFr, lCl, lr, emaMomentum }) => ({ step, loss, lRec, lFr, lCl, lr, emaMomentum }));
    expect(losses(first)).toEqual(losses(straight.slice(0, 2)));
    expect(losses(rest)).toEqual(losses(straight.slice(2)));
    // The losses move (the test would pass trivially on a frozen model otherwise).
    expect(new Set(straight.map((p) => p.loss)).size).toBe(6);

    const a = await readCheckpoint(ctx.store, full.checkpointKey!);
    const b = await readCheckpoint(ctx.store, resumed.checkpointKey!);
    for (const which of ['online', 'target'] as const) {
      for (const [name, t] of a[which]) expect(b[which].get(name)!.values, `${which} ${name}`).toEqual(t.values);
    }
    expect(b.state.maskRng).toEqual(a.state.maskRng);
    expect(b.state.normalization).toEqual(a.state.normalization);
    expect(b.optimizer.tensors.get('exp_avg_sq.cls_token')!.values).toEqual(a.optimizer.tensors.get('exp_avg_sq.cls_token')!.values);
    // Checkpoints every 2 steps, the last 2 kept; latest.json names the final one.
    expect((await listCheckpoints(ctx.store, 'straight')).map((c) => c.step)).toEqual([4, 6]);
    expect((await readLatest(ctx.store, 'straight'))!.prefix).toBe(full.checkpointKey);
    expect(straight[1].checkpointKey).toBe('runs/straight/pretrain/ckpt/000000002');
  });

  it('maxSteps stops early with a checkpoint, keeps the full-run schedules, and the tensor count stays flat', async () => {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const seen: PretrainProgress[] = [];
    const r = await runPretraining({
      config: tinyConfig({ maxSteps: 4, checkpointEverySteps: 100 }),
      store: ctx.store,
      runId: 'short',
      source,
      onProgress: (p) => {
        seen.push(p);
        counts.push(tf.memory().numTensors);
      },
    });
    expect(r).toMatchObject({ status: 'stopped', step: 4, totalSteps: 6, checkpointKey: 'runs/short/pretrain/ckpt/000000004' });
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // lr: linear warmup over 0.5 epoch (7 batches), peak 0.05·8/256, then cosine over the remaining 1.5 epochs.
    const peak = (0.05 * 8) / 256;
    expect(seen[0].lr).toBe(0);
    expect(seen[1].lr).toBeCloseTo(peak * (2 / 7 / 0.5), 10);
    expect(seen[2].lr).toBeCloseTo(peak * (1 + Math.cos((Math.PI * (4 / 7 - 0.5)) / 1.5)) / 2, 10);
    // EMA momentum rises from 0.996 along a cosine over all 14 data iterations (7 batches × 2 epochs); a step
    // reports the momentum of its last micro-batch's update (iteration 2·step + 1).
    expect(seen[0].emaMomentum).toBeCloseTo(1 - 0.004 * (1 + Math.cos(Math.PI / 14)) / 2, 10);
    expect(seen[3].emaMomentum).toBeCloseTo(1 - 0.004 * (1 + Math.cos((Math.PI * 8) / 14)) / 2, 10);
    expect(seen.every((p) => p.imagesPerSec > 0)).toBe(true);
  });

  it('the EMA moves only the shared parameters, from the online network into the target', async () => {
    // No warmup, so step 0 trains. emaBase 0 and no accumulation: the momentum at data iteration 0 is 0, so every
    // shared target parameter becomes the (trained) online one.
    const init = new FsfmModel(tinyConfig().model);
    const initial = new Map(init.namedWeights().online.map(([n, v]) => [n, v.dataSync().slice()]));
    init.dispose();
    const r = await runPretraining({ config: tinyConfig({ maxSteps: 1, accumIter: 1, warmupEpochs: 0, model: { emaBase: 0 } }), store: ctx.store, runId: 'ema', source });
    const ck = await readCheckpoint(ctx.store, r.checkpointKey!);
    const shared = [...ck.target.keys()];
    expect(shared.length).toBeGreaterThan(10);
    for (const name of shared) expect(ck.target.get(name)!.values, name).toEqual(ck.online.get(name)!.values);
    expect(shared.filter((n) => ck.online.get(n)!.values.some((x, i) => x !== initial.get(n)![i])).length).toBeGreaterThan(10);
    const onlineOnly = [...ck.online.keys()].filter((n) => !ck.target.has(n));
    expect(onlineOnly.some((n) => n.startsWith('predictor.'))).toBe(true);
    expect(onlineOnly.some((n) => n.startsWith('decoder_'))).toBe(true);
    expect(shared.some((n) => n.startsWith('predictor.') || n.startsWith('decoder_'))).toBe(false);

    // emaBase 1: the online network trains, the target keeps its initial copy of it.
    const frozen = await runPretraining({ config: tinyConfig({ maxSteps: 1, warmupEpochs: 0, model: { emaBase: 1 } }), store: ctx.store, runId: 'ema1', source });
    const ck1 = await readCheckpoint(ctx.store, frozen.checkpointKey!);
    for (const name of shared) expect(ck1.target.get(name)!.values, name).toEqual(initial.get(name));
    expect(shared.filter((n) => ck1.online.get(n)!.values.some((x, i) => x !== initial.get(n)![i])).length).toBeGreaterThan(10);
  });

  it('updates the target after every data iteration as the reference engine does (accumulation micro-steps included)', async () => {
    // Reference (engine_pretrain.py + lr_sched.cosine_scheduler): after data iteration i (optimizer step first
    // when i closes an accumulation cycle), θt ← m(i)·θt + (1 − m(i))·θo with
    // m(i) = 1 − (1 − base)·(1 + cos(π·i/I))/2 and I = epochs × batches per epoch.
    // 30 faces, batch 4: 7 batches per epoch, accumIter 3 -> 2 steps per epoch (batch 6 unused), I = 14.
    // Step 2 starts epoch 1, at data iteration 7.
    const base = 0.9;
    const config = tinyConfig({ accumIter: 3, maxSteps: 3, warmupEpochs: 0, checkpointEverySteps: 1, keepLastCheckpoints: 10, model: { emaBase: base } });
    const init = new FsfmModel(config.model);
    const online0 = new Map(init.namedWeights().online.map(([n, v]) => [n, Float64Array.from(v.dataSync())]));
    init.dispose();
    const seen: PretrainProgress[] = [];
    await runPretraining({ config, store: ctx.store, runId: 'ema-cadence', source, onProgress: (p) => seen.push(p) });
    const ck = await Promise.all([1, 2, 3].map((s) => readCheckpoint(ctx.store, `runs/ema-cadence/pretrain/ckpt/${String(s).padStart(9, '0')}`)));
    const onlineAfter = (s: number, name: string): Float64Array => (s === 0 ? online0.get(name)! : Float64Array.from(ck[s - 1].online.get(name)!.values));

    const I = 14;
    const m = (i: number) => 1 - ((1 - base) * (1 + Math.cos((Math.PI * i) / I))) / 2;
    const iterations = [[0, 1, 2], [3, 4, 5], [7, 8, 9]];
    expect(seen.map((p) => p.emaMomentum)).toEqual(iterations.map((its) => m(its[2])));
    const names = [...ck[0].target.keys()];
    let worst = 0;
    let perStepGap = 0;
    for (const name of names) {
      const ref = Float64Array.from(online0.get(name)!); // the target starts as a copy of the online network
      const perStep = Float64Array.from(ref); // the old cadence: one update per optimizer step, m over steps
      for (let s = 0; s < 3; s++) {
        for (const [k, i] of iterations[s].entries()) {
          const o = onlineAfter(k === 2 ? s + 1 : s, name);
          for (let j = 0; j < ref.length; j++) ref[j] = m(i) * ref[j] + (1 - m(i)) * o[j];
        }
        const o = onlineAfter(s + 1, name);
        const ms = 1 - ((1 - base) * (1 + Math.cos((Math.PI * s) / 4))) / 2;
        for (let j = 0; j < ref.length; j++) perStep[j] = ms * perStep[j] + (1 - ms) * o[j];
        const got = ck[s].target.get(name)!.values;
        for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(got[j] - ref[j]));
      }
      const got = ck[2].target.get(name)!.values;
      for (let j = 0; j < ref.length; j++) perStepGap = Math.max(perStepGap, Math.abs(got[j] - perStep[j]));
    }
    // float32 weights against a float64 replay of the formula: 1e-6 absolute (weights are O(0.1)).
    expect(worst).toBeLessThan(1e-6);
    // The test tells the cadences apart by far more than its tolerance.
    expect(perStepGap).toBeGreaterThan(1e-4);
  });

  it('skips batches whose L_cl is not finite, leaving the weights alone', async () => {
    const first = await runPretraining({ config: tinyConfig({ maxSteps: 1, warmupEpochs: 0 }), store: ctx.store, runId: 'skip', source });
    // A collapsed target (NaN weights) makes every L_cl NaN while the reconstruction losses stay finite.
    const ck = await readCheckpoint(ctx.store, first.checkpointKey!);
    for (const t of ck.target.values()) t.values.fill(Number.NaN);
    await writeCheckpoint(ctx.store, 'skip', ck, { keepLast: 3 });
    const seen: PretrainProgress[] = [];
    const r = await runPretraining({ config: tinyConfig({ maxSteps: 3, warmupEpochs: 0 }), store: ctx.store, runId: 'skip', source, onProgress: (p) => seen.push(p) });
    expect(r).toMatchObject({ status: 'stopped', step: 3, skippedBatches: 4, resumedFromStep: 1 });
    expect(seen.map((p) => p.loss)).toEqual([Number.NaN, Number.NaN]);
    const after = await readCheckpoint(ctx.store, r.checkpointKey!);
    for (const [name, t] of ck.online) expect(after.online.get(name)!.values, name).toEqual(t.values);
    expect(after.optimizer.stepCount).toBe(ck.optimizer.stepCount);
  });

  it('stops with TrainingDiverged, writing no checkpoint, when the total loss is not finite but L_cl is', async () => {
    // std 1e-45 turns every non-zero pixel into Infinity: L_rec is NaN, L_cl (after LayerNorm and L2) is not.
    const run = runPretraining({
      config: tinyConfig({ maxSteps: 2, data: { normalization: { mean: [0, 0, 0], std: [1e-45, 1e-45, 1e-45] } } }),
      store: ctx.store,
      runId: 'inf',
      source,
    });
    await expect(run).rejects.toThrow(TrainingDiverged);
    await expect(run).rejects.toMatchObject({ step: 0, retryable: false });
    expect(await listCheckpoints(ctx.store, 'inf')).toEqual([]);
  });

  it('classifies losses as the reference does', () => {
    expect(lossVerdict({ loss: 1, lRec: 1, lFr: 1, lCl: -0.5 })).toBe('ok');
    expect(lossVerdict({ loss: Number.NaN, lRec: 1, lFr: 1, lCl: Number.NaN })).toBe('skip');
    expect(lossVerdict({ loss: Number.POSITIVE_INFINITY, lRec: Number.POSITIVE_INFINITY, lFr: 1, lCl: -0.5 })).toBe('diverged');
  });

  it('refuses to resume a run id with a different training setup', async () => {
    await runPretraining({ config: tinyConfig({ maxSteps: 1 }), store: ctx.store, runId: 'r', source });
    await expect(runPretraining({ config: tinyConfig({ maxSteps: 2, seed: 4 }), store: ctx.store, runId: 'r', source })).rejects.toThrow(InvalidConfig);
    // Operational knobs may change.
    const r = await runPretraining({ config: tinyConfig({ maxSteps: 2, checkpointEverySteps: 5, data: { prefetchBatches: 0 } }), store: ctx.store, runId: 'r', source });
    expect(r).toMatchObject({ step: 2, resumedFromStep: 1 });

    // Checkpoints record the resolved architecture; one made under another definition of the preset is refused.
    const ck = await readCheckpoint(ctx.store, r.checkpointKey!);
    expect(ck.state.arch).toMatchObject({ embedDim: 32, depth: 2, numHeads: 2 });
    await writeCheckpoint(ctx.store, 'r', { ...ck, state: { ...ck.state, step: 3, arch: { ...ck.state.arch!, numHeads: 4 } } }, { keepLast: 3 });
    await expect(runPretraining({ config: tinyConfig({ maxSteps: 4 }), store: ctx.store, runId: 'r', source })).rejects.toThrow(
      /checkpoint runs\/r\/pretrain\/ckpt\/000000003 holds a ViT 32 wide, 2 blocks, 4 heads.* but the model of run r is a ViT 32 wide, 2 blocks, 2 heads/,
    );
  });
});
