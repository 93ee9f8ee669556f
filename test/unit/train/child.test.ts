import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFound, TransientError } from '../../../lib/errors.js';
import { listCheckpoints, readLatest } from '../../../lib/train/checkpoint.js';
import { runPretrainingInChild } from '../../../lib/train/child-runner.js';
import type { PretrainProgress } from '../../../lib/train/pretrain.js';
import { syntheticShards, tempStore, tinyConfig, writePreparedSet } from './helpers.js';

describe('pretraining in a child process', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    ctx = await tempStore();
    await writePreparedSet(ctx.store, 'prepared/syn', syntheticShards({ shards: 4, framesPerVideo: 6, sizePx: 32 }));
  });
  afterAll(() => ctx.cleanup());

  const config = (overrides = {}) => tinyConfig({ data: { prepared: ['prepared/syn'] }, ...overrides });

  it('trains from prepared shards in the store and reports progress', async () => {
    const seen: PretrainProgress[] = [];
    const child = runPretrainingInChild({ config: config({ maxSteps: 3 }), storeUri: ctx.store.uri, runId: 'child', onProgress: (p) => seen.push(p) });
    expect(child.pid).toBeGreaterThan(0);
    const result = await child.result;
    expect(result).toMatchObject({ status: 'stopped', step: 3, totalSteps: 6, backend: 'wasm' });
    expect(seen.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(seen.every((p) => Number.isFinite(p.loss))).toBe(true);
    expect(seen[1].checkpointKey).toBe('runs/child/pretrain/ckpt/000000002');
    expect((await readLatest(ctx.store, 'child'))!.step).toBe(3);
  }, 60_000);

  it('cancel() makes the child write a checkpoint and stop', async () => {
    const child = runPretrainingInChild({ config: config({ epochs: 100, checkpointEverySteps: 1000 }), storeUri: ctx.store.uri, runId: 'cancel' });
    child.once('progress', () => child.cancel());
    const result = await child.result;
    expect(result.status).toBe('cancelled');
    expect(result.step).toBeGreaterThanOrEqual(1);
    expect(result.step).toBeLessThan(result.totalSteps);
    expect((await listCheckpoints(ctx.store, 'cancel')).map((c) => c.step)).toEqual([result.step]);
  }, 60_000);

  it('a typed failure in the child comes back as the same error type', async () => {
    const child = runPretrainingInChild({ config: tinyConfig({ data: { prepared: ['prepared/missing'] } }), storeUri: ctx.store.uri, runId: 'missing' });
    await expect(child.result).rejects.toThrow(NotFound);
  }, 60_000);

  it('a killed child rejects with a TransientError naming the signal', async () => {
    const child = runPretrainingInChild({ config: config({ epochs: 100 }), storeUri: ctx.store.uri, runId: 'crash' });
    child.once('progress', () => {
      process.kill(child.pid!, 'SIGKILL');
    });
    const err = await child.result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/killed by SIGKILL/);
  }, 60_000);

  it('a child that dies on its own reports how, with the end of its stderr', async () => {
    // A 12 MB heap cannot even load TensorFlow.js: V8 aborts with "heap out of memory" on stderr.
    const child = runPretrainingInChild({
      config: config({ maxSteps: 1 }),
      storeUri: ctx.store.uri,
      runId: 'oom',
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=12' },
    });
    const err = (await child.result.then(() => null, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/SIGABRT|code 134/);
    expect(err.message).toMatch(/heap out of memory/);
    expect((await listCheckpoints(ctx.store, 'oom'))).toEqual([]);
  }, 60_000);
});
