/** The store's outage policy (lib/store/retry.ts) on a real FileStore with injected failures and a simulated clock. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreFull, StoreUnwritable, TransientError } from '../../../lib/errors';
import { FileStore, RetryingStore, onStoreWait, type ArtifactStore, type StoreWait } from '../../../lib/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-retry-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The real store, failing its next `failures` calls with `make()` (and consuming a stream body first, as S3 would). */
function faulty(make: () => Error, failures: number): ArtifactStore & { calls: number } {
  const real = new FileStore(dir);
  const s = {
    uri: real.uri,
    calls: 0,
    async run<T>(fn: () => Promise<T>, body?: unknown): Promise<T> {
      s.calls++;
      if (s.calls <= failures) {
        if (body instanceof Readable) for await (const _ of body) void _;
        throw make();
      }
      return fn();
    },
    put: (k: string, b: Parameters<ArtifactStore['put']>[1]) => s.run(() => real.put(k, b), b),
    get: (k: string) => s.run(() => real.get(k)),
    download: (k: string, f: string) => s.run(() => real.download(k, f)),
    stat: (k: string) => s.run(() => real.stat(k)),
    list: (p: string) => s.run(() => real.list(p)),
    delete: (k: string) => s.run(() => real.delete(k)),
  };
  return s;
}

const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
  vi.setSystemTime(Date.now() + ms);
};
const policy = { outageS: 600, fullS: 60, initialDelayMs: 1000, maxDelayMs: 30_000 };

beforeEach(() => {
  sleeps.length = 0;
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

describe('RetryingStore', () => {
  it('rides out a transient outage with capped exponential backoff and tells the waiting caller each time', async () => {
    const inner = faulty(() => new TransientError('put x: ECONNREFUSED'), 12);
    const store = new RetryingStore(inner, policy, sleep);
    const waits: StoreWait[] = [];
    const info = await onStoreWait((w) => waits.push(w), () => store.put('a/x.txt', 'payload'));
    expect(info.sizeBytes).toBe(7);
    expect((await store.get('a/x.txt')).toString()).toBe('payload');
    expect(waits.map((w) => w.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(waits[0]).toMatchObject({ op: 'put a/x.txt', failingS: 0, error: 'put x: ECONNREFUSED' });
    expect(sleeps[0]).toBeGreaterThanOrEqual(750);
    expect(sleeps[0]).toBeLessThanOrEqual(1250);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(37_500);
    expect(sleeps.slice(6).every((ms) => ms >= 22_500)).toBe(true);
    // 12 waits of at most ~30 s: an outage of ~4-5 minutes, well inside the 10-minute budget.
    expect(waits.at(-1)!.failingS).toBeGreaterThanOrEqual(158); // 11 jittered waits: at least 0.75 x 211 s
  });

  it('gives up once the outage outlasts its budget, naming the cause and the budget', async () => {
    const inner = faulty(() => new TransientError('get y: ECONNREFUSED'), Infinity);
    const err = await new RetryingStore(inner, policy, sleep).get('y').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/ECONNREFUSED.*unreachable for 600 s/);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(600_000);
  });

  it('retries a full disk for a bounded time, then fails for good', async () => {
    const inner = faulty(() => new StoreFull('put z failed: ENOSPC: no space left on device'), Infinity);
    const err = await new RetryingStore(inner, policy, sleep).put('z', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFull);
    expect((err as StoreFull).retryable).toBe(false);
    expect((err as Error).message).toMatch(/ENOSPC.*after 60 s/);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it('does not retry a read-only store or a missing object', async () => {
    const inner = faulty(() => new StoreUnwritable('put r failed: EROFS: read-only file system'), Infinity);
    await expect(new RetryingStore(inner, policy, sleep).put('r', 'x')).rejects.toBeInstanceOf(StoreUnwritable);
    expect(inner.calls).toBe(1);
    const fine = faulty(() => new Error('never'), 0);
    expect(await new RetryingStore(fine, policy, sleep).stat('missing/key')).toBeNull();
    expect(sleeps).toEqual([]);
  });

  it('retries a streamed put with the whole stream each time', async () => {
    const inner = faulty(() => new TransientError('upload: socket hang up'), 2);
    const store = new RetryingStore(inner, policy, sleep);
    await store.put('s/stream.bin', Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
    expect((await store.get('s/stream.bin')).toString()).toBe('abcd');
    const file = path.join(dir, 'src.txt');
    fs.writeFileSync(file, 'from a file');
    const again = faulty(() => new TransientError('upload: socket hang up'), 1);
    await new RetryingStore(again, policy, sleep).put('s/file.bin', fs.createReadStream(file));
    expect((await store.get('s/file.bin')).toString()).toBe('from a file');
  });
});
