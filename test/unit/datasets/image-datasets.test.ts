import { describe, expect, it } from 'vitest';
import { InvalidDatasetLayout } from '../../../lib/errors.js';
import { buildManifest } from '../../../lib/datasets/index.js';
import { caught, empty, makeTree } from './tree.js';

describe('WildDeepfake adapter', () => {
  it('reads frame images with group = their video folder, test and (optional) train', async () => {
    const root = await makeTree(
      empty(
        'real_test/12/0.png',
        'real_test/12/1.png',
        'fake_test/7/fake/3/10.png',
        'fake_train/8/0.png',
        'real_test/12/notes.txt',
      ),
    );
    const m = await buildManifest({ root });
    expect(m.format).toBe('wilddeepfake');
    expect(m.rows.map((r) => [r.path, r.kind, r.label, r.split, r.group])).toEqual([
      ['fake_test/7/fake/3/10.png', 'image', 'fake', 'test', 'fake_test/7/fake/3'],
      ['fake_train/8/0.png', 'image', 'fake', 'train', 'fake_train/8'],
      ['real_test/12/0.png', 'image', 'real', 'test', 'real_test/12'],
      ['real_test/12/1.png', 'image', 'real', 'test', 'real_test/12'],
    ]);
  });

  it('names the missing fake_test folder', async () => {
    const root = await makeTree(empty('real_test/1/0.png'));
    const err = await caught(buildManifest({ root, format: 'wilddeepfake' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('fake_test/');
    expect(err.message).not.toContain('real_test/\n');
  });
});

describe('DiFF adapter', () => {
  const subsets = ['T2I', 'I2I', 'FS', 'FE'];
  const full = () =>
    empty(...subsets.flatMap((s) => [`test_subsets/${s}/test/real/r.png`, `test_subsets/${s}/test/fake/f.jpg`]));

  it('reads every subset with domain = subset and method = subset for fakes; val when present', async () => {
    const root = await makeTree({ ...full(), ...empty('test_subsets/FS/val/real/r.png', 'test_subsets/FS/val/fake/f.png') });
    const m = await buildManifest({ root });
    expect(m.format).toBe('diff');
    expect(m.rows.length).toBe(10);
    const fake = m.rows.find((r) => r.path === 'test_subsets/I2I/test/fake/f.jpg');
    expect(fake).toMatchObject({ kind: 'image', label: 'fake', split: 'test', method: 'I2I', domain: 'I2I' });
    const real = m.rows.find((r) => r.path === 'test_subsets/FS/val/real/r.png');
    expect(real).toMatchObject({ label: 'real', split: 'val', domain: 'FS' });
    expect(real?.method).toBeUndefined();
  });

  it('lists all missing subset folders at once', async () => {
    const files = full();
    delete files['test_subsets/FE/test/fake/f.jpg'];
    delete files['test_subsets/I2I/test/real/r.png'];
    const root = await makeTree({ ...files, ...empty('test_subsets/FS/val/real/r.png') });
    const err = await caught(buildManifest({ root, format: 'diff' }));
    expect(err.message).toContain('test_subsets/FE/test/fake/');
    expect(err.message).toContain('test_subsets/I2I/test/real/');
    expect(err.message).toContain('test_subsets/FS/val/fake/');
    expect(err.message).toContain('missing (3)');
  });

  it('reads only the requested subsets', async () => {
    const root = await makeTree(empty('test_subsets/FE/test/real/r.png', 'test_subsets/FE/test/fake/f.png'));
    const m = await buildManifest({ root, format: 'diff', diffSubsets: ['FE'] });
    expect(m.rows.map((r) => r.domain)).toEqual(['FE', 'FE']);
  });
});

describe('MCIO adapter', () => {
  const files = empty(
    'casia/train/real/1_1_frame0.png',
    'casia/train/real/1_1_frame1.png',
    'casia/train/fake/1_3_frame0.png',
    'casia/test/real/2_1_frame0.png',
    'casia/test/fake/2_3_frame0.png',
    'msu/train/real/real_client002_frame0.png',
    'msu/train/fake/attack_client002_frame0.png',
    'celeb/real/12_live_1.jpg',
    'celeb/fake/13_spoof_2.jpg',
  );

  it('reads every domain with domain, split and group = the video of the frames', async () => {
    const root = await makeTree(files);
    const m = await buildManifest({ root });
    expect(m.format).toBe('mcio');
    expect(new Set(m.rows.map((r) => r.domain))).toEqual(new Set(['casia', 'msu', 'celeb']));
    const frames = m.rows.filter((r) => r.group === 'casia/train/real/1_1');
    expect(frames.map((r) => r.path)).toEqual(['casia/train/real/1_1_frame0.png', 'casia/train/real/1_1_frame1.png']);
    expect(frames.every((r) => r.label === 'real' && r.split === 'train' && r.kind === 'image')).toBe(true);
    expect(m.rows.find((r) => r.path === 'casia/test/fake/2_3_frame0.png')).toMatchObject({ label: 'fake', split: 'test' });
    // A domain without split folders (CelebA-Spoof) is training data.
    expect(m.rows.filter((r) => r.domain === 'celeb').map((r) => r.split)).toEqual(['train', 'train']);
  });

  it('lists requested domains and real/fake folders that are missing', async () => {
    const root = await makeTree({ ...files, ...empty('oulu/test/real/a_frame0.png') });
    const err = await caught(buildManifest({ root, format: 'mcio', mcioDomains: ['casia', 'oulu', 'replay'] }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('replay/');
    expect(err.message).toContain('oulu/test/fake/');
    expect(err.message).not.toContain('casia/');
  });
});

describe('image-folders adapter (VGGFace2 style)', () => {
  it('lists images per identity as real pretraining rows grouped by identity', async () => {
    const root = await makeTree(empty('n000002/0001_01.jpg', 'n000002/0002_01.jpg', 'n000003/0001_01.jpg', 'stray.jpg'));
    const m = await buildManifest({ root });
    expect(m.format).toBe('image-folders');
    expect(m.rows.map((r) => [r.path, r.label, r.split, r.group])).toEqual([
      ['n000002/0001_01.jpg', 'real', 'train', 'n000002'],
      ['n000002/0002_01.jpg', 'real', 'train', 'n000002'],
      ['n000003/0001_01.jpg', 'real', 'train', 'n000003'],
    ]);
    expect(m.notes.join()).toMatch(/1 image directly in the root/);
  });

  it('says what is missing when there are no identity folders with images', async () => {
    const root = await makeTree(empty('n1/readme.txt'));
    const err = await caught(buildManifest({ root, format: 'image-folders' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('identity folders holding images');
  });
});
