import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../lib/errors.js';
import { Rng } from '../../../lib/masking/rng.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { SetWriter } from '../../../lib/store/sets.js';
import { AdamW } from '../../../lib/train/adamw.js';
import {
  type CheckpointContents,
  checkpointPrefix,
  latestKey,
  listCheckpoints,
  loadModelWeights,
  modelWeights,
  pruneCheckpoints,
  readCheckpoint,
  readLatest,
  resumeFrom,
  type TrainState,
  writeCheckpoint,
} from '../../../lib/train/checkpoint.js';
import { parsePretrainConfig } from '../../../lib/train/options.js';
import { decodeTensors, encodeTensors } from '../../../lib/train/tensor-file.js';
import { TEST_ARCH, useTestBackend } from '../model/backend-for-tests.js';
import { tempStore } from './helpers.js';

function state(step: number): TrainState {
  return {
    format: 'fsfm-pretrain-state/1',
    step,
    totalSteps: 100,
    epoch: Math.floor(step / 10),
    batchInEpoch: (step % 10) * 2,
    maskRng: Rng.fromSeed(step + 1).state(),
    shuffle: { seed: 3, windowShards: 16 },
    normalization: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2] },
    data: { shards: [{ id: 's0', ranges: [[0, 4]], count: 4 }], total: 4, splits: ['train'] },
    config: parsePretrainConfig({ model: { preset: 'demo', arch: TEST_ARCH } }),
    skippedBatches: 0,
    lastLosses: { loss: 1, lRec: 0.9, lFr: 1.1, lCl: -0.4 },
    backend: 'wasm',
    trainMs: 1234,
  };
}

function contents(step: number): CheckpointContents {
  const arr = (values: number[], shape: number[]) => ({ shape, values: Float32Array.from(values) });
  return {
    state: state(step),
    online: new Map([['w', arr([step, 2, 3, 4], [2, 2])], ['b', arr([0.5], [1])]]),
    target: new Map([['w', arr([1, 2, 3, 4 + step], [2, 2])]]),
    optimizer: { stepCount: step, tensors: new Map([['exp_avg.w', arr([0.1, 0.2, 0.3, 0.4], [2, 2])]]) },
  };
}

describe('tensor files', () => {
  it('round-trip names, shapes and float32 values bit-exactly, little-endian', () => {
    const values = Float32Array.from([1.5, -0, Number.NaN, 3.4028234663852886e38, 1e-45, -7.25]);
    const { data, index } = encodeTensors([['a', { shape: [2, 3], values }], ['b', { shape: [], values: Float32Array.from([42]) }]]);
    expect(index.tensors).toEqual([
      { name: 'a', shape: [2, 3], offsetBytes: 0, lengthBytes: 24 },
      { name: 'b', shape: [], offsetBytes: 24, lengthBytes: 4 },
    ]);
    expect(data.readFloatLE(20)).toBe(-7.25);
    const back = decodeTensors(data, index);
    expect(new Uint8Array(back.get('a')!.values.buffer)).toEqual(new Uint8Array(values.buffer));
    expect(back.get('b')!.values[0]).toBe(42);
    expect(() => decodeTensors(data.subarray(0, 20), index)).toThrow(IntegrityError);
  });
});

describe('checkpoints in the store', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    await useTestBackend();
  });
  beforeEach(async () => {
    ctx = await tempStore();
  });
  afterEach(() => ctx.cleanup());

  it('round-trip weights, optimizer state and train state, and point latest.json at the set', async () => {
    const { prefix } = await writeCheckpoint(ctx.store, 'run1', contents(7), { keepLast: 3 });
    expect(prefix).toBe('runs/run1/pretrain/ckpt/000000007');
    const latest = await readLatest(ctx.store, 'run1');
    expect(latest).toMatchObject({ step: 7, prefix });
    const back = await readCheckpoint(ctx.store, prefix);
    expect(back.state).toEqual(state(7));
    expect(back.optimizer.stepCount).toBe(7);
    expect(Array.from(back.online.get('w')!.values)).toEqual([7, 2, 3, 4]);
    expect(back.online.get('w')!.shape).toEqual([2, 2]);
    expect(Array.from(back.target.get('w')!.values)).toEqual([1, 2, 3, 11]);
    expect(back.optimizer.tensors.get('exp_avg.w')!.values).toEqual(Float32Array.from([0.1, 0.2, 0.3, 0.4]));
  });

  it('round-trips a whole model and its optimizer', async () => {
    const a = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 1 });
    const b = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 2 });
    const opt = new AdamW(a.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    const grads = new Map(a.trainableVariables().map((p) => [p.name, tf.onesLike(p.variable) as tf.Tensor]));
    opt.step(grads, 0.01);
    a.updateTarget(0, 10);
    const { prefix } = await writeCheckpoint(ctx.store, 'model', { ...modelWeights(a), optimizer: opt.state(), state: state(1) }, { keepLast: 1 });
    const back = await readCheckpoint(ctx.store, prefix);
    loadModelWeights(b, back);
    for (const which of ['online', 'target'] as const) {
      const wa = a.namedWeights()[which];
      const wb = new Map(b.namedWeights()[which]);
      for (const [name, v] of wa) expect(wb.get(name)!.dataSync(), `${which} ${name}`).toEqual(v.dataSync());
    }
    const opt2 = new AdamW(b.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    opt2.loadState(back.optimizer);
    expect(opt2.state().tensors.get('exp_avg.cls_token')!.values).toEqual(opt.state().tensors.get('exp_avg.cls_token')!.values);
    tf.dispose([...grads.values()]);
    for (const x of [opt, opt2, a, b]) x.dispose();
  });

  it('keeps only the newest N committed checkpoints and never the one latest.json names', async () => {
    for (const step of [2, 4, 6, 8]) await writeCheckpoint(ctx.store, 'r', contents(step), { keepLast: 2 });
    expect((await listCheckpoints(ctx.store, 'r')).map((c) => c.step)).toEqual([6, 8]);
    expect(await ctx.store.list('runs/r/pretrain/ckpt/000000002/')).toEqual([]);
    expect((await readLatest(ctx.store, 'r'))!.step).toBe(8);
    // A latest.json that names an older checkpoint (e.g. written by a run that was rolled back) protects it.
    const pointer = { format: 'fsfm-latest/1', step: 6, prefix: checkpointPrefix('r', 6), committedAt: new Date().toISOString() };
    await ctx.store.put(latestKey('r'), JSON.stringify(pointer));
    expect(await pruneCheckpoints(ctx.store, 'r', 1)).toEqual([]);
    expect((await listCheckpoints(ctx.store, 'r')).map((c) => c.step)).toEqual([6, 8]);
    await ctx.store.put(latestKey('r'), JSON.stringify({ ...pointer, step: 8, prefix: checkpointPrefix('r', 8) }));
    expect(await pruneCheckpoints(ctx.store, 'r', 1)).toEqual([checkpointPrefix('r', 6)]);
    expect((await listCheckpoints(ctx.store, 'r')).map((c) => c.step)).toEqual([8]);
  });

  it('resumes from the newest committed checkpoint and ignores an uncommitted newer one', async () => {
    await writeCheckpoint(ctx.store, 'r', contents(4), { keepLast: 3 });
    // A writer that died before its manifest: members exist, no _MANIFEST.json.
    const dead = new SetWriter(ctx.store, checkpointPrefix('r', 6));
    await dead.put('state.json', JSON.stringify(state(6)));
    await dead.put('online.bin', Buffer.alloc(8));
    const resumed = await resumeFrom(ctx.store, 'r');
    expect(resumed!.state.step).toBe(4);
    expect(resumed!.prefix).toBe(checkpointPrefix('r', 4));
    expect(await resumeFrom(ctx.store, 'other')).toBeNull();
    // Uncommitted leftovers newer than every committed checkpoint are left alone (maybe still being written) …
    await writeCheckpoint(ctx.store, 'r', contents(5), { keepLast: 3 });
    expect((await ctx.store.list(`${checkpointPrefix('r', 6)}/`)).length).toBe(2);
    // … and removed once a newer checkpoint is committed.
    await writeCheckpoint(ctx.store, 'r', contents(7), { keepLast: 3 });
    expect(await ctx.store.list(`${checkpointPrefix('r', 6)}/`)).toEqual([]);
    expect((await resumeFrom(ctx.store, 'r'))!.state.step).toBe(7);
  });

  it('a corrupted member fails the read with IntegrityError', async () => {
    const { prefix } = await writeCheckpoint(ctx.store, 'r', contents(1), { keepLast: 3 });
    const fs = await import('node:fs/promises');
    const file = `${ctx.dir}/${prefix}/online.bin`;
    const bytes = await fs.readFile(file);
    bytes[0] ^= 0xff;
    await fs.writeFile(file, bytes);
    await expect(readCheckpoint(ctx.store, prefix)).rejects.toThrow(IntegrityError);
    expect(latestKey('r')).toBe('runs/r/pretrain/latest.json');
  });
});
