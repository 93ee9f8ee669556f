/**
 * The store's outage policy, one mechanism for every caller (activities, training and scoring children, the CLI):
 * a store operation that fails transiently (S3 unreachable or 5xx, a flaky disk) is retried with exponential backoff
 * (1 s doubling to 30 s, jittered) until it has been failing for `outageS` (FSFM_STORE_OUTAGE_S, default 600 s),
 * and only then fails with the last cause. A full disk (ENOSPC) is retried for `fullS` (FSFM_STORE_FULL_S, default
 * 60 s) and then fails as non-retryable StoreFull; a read-only or forbidden store (StoreUnwritable) and bad keys
 * fail at once. Whoever waits can listen (onStoreWait): activities heartbeat from it, so a worker waiting out an
 * outage is never taken for dead. lib/ stays free of Temporal: the listener is a plain callback.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StoreFull, TransientError } from '../errors';
import { spoolToFile } from './hashing';
import type { ArtifactStore, Body, ObjectInfo } from './types';

export interface StoreRetryPolicy {
  /** How long transient failures are retried before the operation fails (seconds). */
  outageS: number;
  /** How long a full disk is retried before the operation fails for good (seconds). */
  fullS: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_STORE_RETRY: StoreRetryPolicy = { outageS: 600, fullS: 60, initialDelayMs: 1000, maxDelayMs: 30_000 };

export function storeRetryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): StoreRetryPolicy {
  const seconds = (v: string | undefined, d: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : d);
  return { ...DEFAULT_STORE_RETRY, outageS: seconds(env.FSFM_STORE_OUTAGE_S, DEFAULT_STORE_RETRY.outageS), fullS: seconds(env.FSFM_STORE_FULL_S, DEFAULT_STORE_RETRY.fullS) };
}

/** What a caller waiting on the store is told before each pause. */
export interface StoreWait {
  op: string;
  attempt: number;
  /** Seconds since the operation first failed. */
  failingS: number;
  nextDelayMs: number;
  error: string;
}

const listeners = new AsyncLocalStorage<(w: StoreWait) => void>();

/** Runs `fn` with `listener` told about every wait on the store inside it (nested calls see the innermost one). */
export function onStoreWait<T>(listener: (w: StoreWait) => void, fn: () => Promise<T>): Promise<T> {
  return listeners.run(listener, fn);
}

/** An ArtifactStore that rides out outages of the one it wraps, per its policy. */
export class RetryingStore implements ArtifactStore {
  readonly uri: string;
  constructor(
    readonly inner: ArtifactStore,
    readonly policy: StoreRetryPolicy = DEFAULT_STORE_RETRY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.uri = inner.uri;
  }

  async put(key: string, body: Body, opts?: { contentType?: string }): Promise<ObjectInfo> {
    if (!(body instanceof Readable)) return this.retry(`put ${key}`, () => this.inner.put(key, body, opts));
    // A stream can be read once: a file stream is reopened for each attempt, any other is spooled to a file first.
    const filePath = (body as Readable & { path?: unknown }).path;
    if (body instanceof fs.ReadStream && typeof filePath === 'string') {
      let first: Readable | null = body;
      return this.retry(`put ${key}`, () => {
        const s = first ?? fs.createReadStream(filePath);
        first = null;
        return this.inner.put(key, s, opts);
      });
    }
    const tmp = path.join(os.tmpdir(), `fsfm-retry-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    try {
      await spoolToFile(body, tmp);
      return await this.retry(`put ${key}`, () => this.inner.put(key, fs.createReadStream(tmp), opts));
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  get(key: string, opts?: { expectSha256?: string }): Promise<Buffer> {
    return this.retry(`get ${key}`, () => this.inner.get(key, opts));
  }

  download(key: string, filePath: string, opts?: { expectSha256?: string }): Promise<ObjectInfo> {
    return this.retry(`download ${key}`, () => this.inner.download(key, filePath, opts));
  }

  stat(key: string): Promise<ObjectInfo | null> {
    return this.retry(`stat ${key}`, () => this.inner.stat(key));
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.retry(`list ${prefix}`, () => this.inner.list(prefix));
  }

  delete(key: string): Promise<void> {
    return this.retry(`delete ${key}`, () => this.inner.delete(key));
  }

  destroy(): void {
    (this.inner as { destroy?: () => void }).destroy?.();
  }

  private async retry<T>(op: string, fn: () => Promise<T>): Promise<T> {
    let firstFailureMs: number | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const full = err instanceof StoreFull;
        if (!(err instanceof TransientError) && !full) throw err;
        firstFailureMs ??= Date.now();
        const failingMs = Date.now() - firstFailureMs;
        const budgetMs = (full ? this.policy.fullS : this.policy.outageS) * 1000;
        if (failingMs >= budgetMs) {
          const s = Math.round(failingMs / 1000);
          if (full) throw new StoreFull(`${err.message}; still failing after ${s} s of retries`, { retryable: false, cause: err.cause ?? err });
          throw new TransientError(`${err.message}; the store was unreachable for ${s} s (FSFM_STORE_OUTAGE_S=${this.policy.outageS})`, { cause: err.cause ?? err });
        }
        const backoff = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** Math.min(attempt - 1, 20));
        const delay = Math.max(0, Math.min(budgetMs - failingMs, Math.round(backoff * (0.75 + Math.random() * 0.5))));
        listeners.getStore()?.({ op, attempt, failingS: Math.round(failingMs / 1000), nextDelayMs: delay, error: err.message });
        await this.sleep(delay);
      }
    }
  }
}
