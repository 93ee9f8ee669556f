/**
 * A file:// store on a real read-only or full file system (a 1 MB tmpfs; needs root, skipped with a note where
 * mounting is not allowed): writes fail typed, with the errno in the message, and leave no temp file behind.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFull, StoreUnwritable } from '../../../lib/errors';
import { openStore } from '../../../lib/store';

const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-small-disk-'));
let mounted = false;
beforeAll(() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    process.stderr.write(`cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); skipping\n`);
  }
});
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

describe('file store on an unwritable disk', () => {
  it('names EROFS on a read-only file system (not the ENOENT Node reports for mkdir -p there)', async (ctx) => {
    if (!mounted) ctx.skip();
    fs.mkdirSync(path.join(mountPoint, 'ro'), { recursive: true });
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    try {
      const err = await openStore(`file://${mountPoint}/ro`).put('a/b.json', '{}').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnwritable);
      expect((err as StoreUnwritable).retryable).toBe(false);
      expect((err as Error).message).toMatch(/put a\/b\.json .*EROFS/);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
  });

  it('fails a write to a full disk as StoreFull after its bounded retry, leaving no temp file', async (ctx) => {
    if (!mounted) ctx.skip();
    const store = openStore(`file://${mountPoint}/full`, { FSFM_STORE_FULL_S: '1' });
    const err = await (async () => {
      for (let i = 0; i < 20; i++) await store.put(`k/${i}.bin`, Buffer.alloc(200_000, i));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFull);
    expect((err as StoreFull).retryable).toBe(false);
    expect((err as Error).message).toMatch(/ENOSPC.*still failing after 1 s/);
    expect(execFileSync('find', [mountPoint, '-name', '*.fsfm-tmp-*']).toString()).toBe('');
    // What was committed before the disk filled reads back intact.
    expect((await store.get('k/0.bin')).length).toBe(200_000);
  });
});
