import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../../../lib/errors.js';
import { childRunner, forkTrainingChild } from '../../../lib/train/child-process.js';

describe('childRunner', () => {
  it('sends the start fields to the child and keeps the callbacks and the environment in the parent', async () => {
    const run = childRunner<{ storeUri: string; runId: string; config: { epochs: number }; cacheRoot?: string }, { step: number }, { start: Record<string, unknown>; env?: string }>(
      path.join(__dirname, 'echo-child.ts'),
      'echo',
    );
    const progress: unknown[] = [];
    const logs: string[] = [];
    const child = run({
      storeUri: 'file:///nowhere',
      runId: 'r1',
      config: { epochs: 2 },
      cacheRoot: '/tmp/cache',
      onProgress: (p) => progress.push(p),
      onLog: (l) => logs.push(l),
      env: { ...process.env, FSFM_ECHO: 'from-env' },
    });
    const result = await child.result;
    expect(result.start).toEqual({ storeUri: 'file:///nowhere', runId: 'r1', config: { epochs: 2 }, cacheRoot: '/tmp/cache' });
    expect(result.env).toBe('from-env');
    expect(progress).toEqual([{ step: 1 }]);
    expect(logs).toEqual(['hello']);
  }, 60_000);

  it("names V8's fatal error even when the native stack after it is longer than the stderr tail", async () => {
    const child = forkTrainingChild<object, unknown, unknown>({ entry: path.join(__dirname, 'fatal-child.ts'), what: 'pretraining', start: {} });
    const err = (await child.result.then(() => null, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message.split('\n')[0]).toMatch(/^pretraining child \d+ was killed by SIGABRT without a result \(FATAL ERROR: .*JavaScript heap out of memory\); stderr tail:$/);
    expect(err.message).toContain('120: 0x');
  }, 60_000);
});
