import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidPath } from '../../../lib/errors.js';
import { buildManifest, DatasetRoot } from '../../../lib/datasets/index.js';
import { caught, empty, link, makeTree } from './tree.js';

describe('paths stay inside the dataset root', () => {
  it('rejects a symlinked file that resolves outside the root, naming it', async () => {
    const outside = await makeTree(empty('secret.mp4'));
    const root = await makeTree(empty('real/a.mp4'));
    await link(root, 'fake/b.mp4', join(outside, 'secret.mp4'));
    const err = await caught(buildManifest({ root }));
    expect(err).toBeInstanceOf(InvalidPath);
    expect(err.message).toContain('fake/b.mp4');
    expect(err.message).toContain('outside the dataset root');
  });

  it('rejects a symlinked directory that leads out of the root', async () => {
    const outside = await makeTree(empty('x/1.png'));
    const root = await makeTree(empty('real_test/v1/0.png', 'fake_test/v2/0.png'));
    await link(root, 'fake_test/v3', join(outside, 'x'));
    const err = await caught(buildManifest({ root, format: 'wilddeepfake' }));
    expect(err).toBeInstanceOf(InvalidPath);
    expect(err.message).toContain('fake_test/v3');
  });

  it('rejects a listed path that goes through a symlink out of the root', async () => {
    const outside = await makeTree(empty('v.mp4'));
    const root = await makeTree({ 'list.csv': 'door/v.mp4,real\n' });
    await link(root, 'door', outside);
    const err = await caught(buildManifest({ root, format: 'plain', csv: 'list.csv' }));
    expect(err).toBeInstanceOf(InvalidPath);
    expect(err.message).toContain('door/v.mp4');
  });

  it('follows symlinks that stay inside the root, and ends symlink cycles', async () => {
    const root = await makeTree(empty('store/a.mp4', 'real/b.mp4'));
    await link(root, 'fake/linked.mp4', join(root, 'store/a.mp4'));
    await link(root, 'real/loop', '..');
    const m = await buildManifest({ root });
    expect(m.rows.find((r) => r.path === 'fake/linked.mp4')?.label).toBe('fake');
    // real/loop → root: its files are listed once under the link, and the walk terminates.
    expect(m.rows.filter((r) => r.path.startsWith('real/')).length).toBeGreaterThan(0);
  });

  it('treats a missing root as InvalidPath', async () => {
    await expect(buildManifest({ root: '/nonexistent/fsfm-dataset' })).rejects.toBeInstanceOf(InvalidPath);
  });

  it('normalizes harmless listed paths and refuses the rest', () => {
    expect(DatasetRoot.checkListedPath('./a/b.mp4', 'x')).toBe('a/b.mp4');
    expect(DatasetRoot.checkListedPath('a//b.mp4', 'x')).toBe('a/b.mp4');
    for (const bad of ['', '..', 'a/..', '/abs', 'D:\\x', 'a\0b']) {
      expect(() => DatasetRoot.checkListedPath(bad, 'x'), JSON.stringify(bad)).toThrow(InvalidPath);
    }
  });

  it('rejects a symlinked root file used as an index (dataset.json pointing outside)', async () => {
    const outside = await makeTree({ 'dataset.json': '{}' });
    const root = await makeTree({});
    await symlink(join(outside, 'dataset.json'), join(root, 'dataset.json'));
    const err = await caught(buildManifest({ root, format: 'dfdc-preview' }));
    expect(err).toBeInstanceOf(InvalidPath);
    expect(err.message).toContain('dataset.json');
  });
});
