/**
 * FileStore blobs keep their key's extension: DIR/<key> is a symlink, and a browser (or any tool) opening
 * runs/<id>/report.html types the file by the name the link resolves to. Blobs named before this change (ending in
 * the nonce) are still read and verified.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore, blobExtension } from '../../../lib/store/file-store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-blob-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FileStore blob names', () => {
  it('end in the key extension, so the link resolves to a .html / .json / .png file', async () => {
    const store = new FileStore(dir);
    for (const key of ['runs/r1/report.html', 'runs/r1/summary.json', 'runs/r1/fig.png']) {
      await store.put(key, `<p>${key}</p>`);
      const target = fs.realpathSync(path.join(dir, key));
      expect(path.extname(target)).toBe(path.extname(key));
      expect(target.startsWith(path.join(dir, '.fsfm-objects'))).toBe(true);
      expect((await store.get(key)).toString()).toBe(`<p>${key}</p>`);
    }
    await store.put('runs/r1/LICENSE', 'x');
    expect(fs.realpathSync(path.join(dir, 'runs/r1/LICENSE'))).toMatch(/\.fsfm-[0-9a-f]{64}-[0-9a-f]+$/);
  });

  it('written before this change (no extension) are still read and verified', async () => {
    const store = new FileStore(dir);
    const key = 'runs/old/report.html';
    const info = await store.put(key, '<h1>old</h1>');
    const link = path.join(dir, key);
    const blob = fs.realpathSync(link);
    const oldBlob = blob.slice(0, -'.html'.length);
    fs.renameSync(blob, oldBlob);
    fs.unlinkSync(link);
    fs.symlinkSync(path.relative(path.dirname(link), oldBlob), link);
    expect((await store.stat(key))?.sha256).toBe(info.sha256);
    expect((await store.get(key, { expectSha256: info.sha256 })).toString()).toBe('<h1>old</h1>');
  });

  it('take only a plain extension', () => {
    expect(blobExtension('a/b.html')).toBe('.html');
    expect(blobExtension('a/b')).toBe('');
    expect(blobExtension('a/.hidden')).toBe('');
    expect(blobExtension('a/b.we ird')).toBe('');
  });
});
