import { describe, expect, it } from 'vitest';
import { InvalidDatasetLayout } from '../../../lib/errors.js';
import { buildManifest } from '../../../lib/datasets/index.js';
import { addFiles, caught, empty, makeTree } from './tree.js';

const FOUR = ['Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures'];

function ffppFiles(c = 'c23', methods = FOUR): Record<string, string> {
  const files: Record<string, string> = {
    'splits/train.json': JSON.stringify([['000', '001']]),
    'splits/val.json': JSON.stringify([['002', '003']]),
    'splits/test.json': JSON.stringify([['004', '005']]),
    ...empty(...['000', '001', '002', '003', '004', '005', '999'].map((id) => `original_sequences/youtube/${c}/videos/${id}.mp4`)),
  };
  for (const m of methods) {
    // Both directions of each pair exist, as in FF++; 998_999 belongs to no split.
    for (const pair of ['000_001', '001_000', '003_002', '004_005', '998_999']) {
      files[`manipulated_sequences/${m}/${c}/videos/${pair}.mp4`] = '';
    }
  }
  return files;
}

describe('FaceForensics++ adapter', () => {
  it('labels originals real and manipulations fake, with the split of their id pair', async () => {
    const root = await makeTree({ ...ffppFiles(), ...ffppFiles('c40') });
    const m = await buildManifest({ root, format: 'ffpp' });
    expect(m.dataset).toBe('ffpp-c23');
    const byPath = new Map(m.rows.map((r) => [r.path, r]));
    expect(byPath.get('original_sequences/youtube/c23/videos/002.mp4')).toEqual({
      id: 'ffpp-c23/original_sequences/youtube/c23/videos/002.mp4',
      dataset: 'ffpp-c23',
      path: 'original_sequences/youtube/c23/videos/002.mp4',
      kind: 'video',
      label: 'real',
      split: 'val',
    });
    expect(byPath.get('manipulated_sequences/FaceSwap/c23/videos/001_000.mp4')).toMatchObject({
      label: 'fake',
      method: 'FaceSwap',
      split: 'train',
    });
    expect(byPath.get('manipulated_sequences/Deepfakes/c23/videos/003_002.mp4')?.split).toBe('val');
    expect(byPath.get('manipulated_sequences/NeuralTextures/c23/videos/004_005.mp4')?.split).toBe('test');
    // 6 reals + 4 methods x 4 pairs in splits; 999 and 998_999 are in no split; c40 is not read.
    expect(m.rows.length).toBe(6 + 4 * 4);
    expect(m.rows.every((r) => r.path.includes('/c23/'))).toBe(true);
    expect(m.notes.join(' ')).toMatch(/5 videos in no official split/);
  });

  it('reads the compression level asked for', async () => {
    const root = await makeTree(ffppFiles('c40'));
    const m = await buildManifest({ root, format: 'ffpp', compression: 'c40' });
    expect(m.dataset).toBe('ffpp-c40');
    expect(m.rows.filter((r) => r.label === 'real').length).toBe(6);
  });

  it('lists every missing part in one InvalidDatasetLayout', async () => {
    const files = ffppFiles('c23', ['Deepfakes', 'Face2Face']);
    delete files['splits/test.json'];
    const root = await makeTree(files);
    const err = await caught(buildManifest({ root, format: 'ffpp' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('manipulated_sequences/FaceSwap/c23/videos/');
    expect(err.message).toContain('manipulated_sequences/NeuralTextures/c23/videos/');
    expect(err.message).toContain('splits/test.json');
    expect(err.message).toContain('missing (3)');
  });

  it('includes FaceShifter and DeepFakeDetection (with its actors, all test) only when asked, and then requires them', async () => {
    const root = await makeTree(ffppFiles('c23', [...FOUR, 'FaceShifter']));
    const plain = await buildManifest({ root, format: 'ffpp' });
    expect(plain.rows.some((r) => r.method === 'FaceShifter')).toBe(false);

    const err = await caught(buildManifest({ root, format: 'ffpp', methods: ['FaceShifter', 'DeepFakeDetection'] }));
    expect(err.message).toContain('manipulated_sequences/DeepFakeDetection/c23/videos/');
    expect(err.message).toContain('original_sequences/actors/c23/videos/');

    await addFiles(root, {
      ...empty('manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walk__ABC.mp4'),
      ...empty('original_sequences/actors/c23/videos/01__walk.mp4'),
    });
    const m = await buildManifest({ root, format: 'ffpp', methods: ['FaceShifter', 'DeepFakeDetection'] });
    expect(m.rows.filter((r) => r.method === 'FaceShifter').length).toBe(4);
    const dfd = m.rows.filter((r) => r.path.includes('DeepFakeDetection') || r.path.includes('actors'));
    expect(dfd.map((r) => [r.label, r.split])).toEqual([
      ['fake', 'test'],
      ['real', 'test'],
    ]);
  });

  it('reads DeepFakeDetection alone as a test set without YouTube reals or splits', async () => {
    const root = await makeTree({
      ...empty('manipulated_sequences/DeepFakeDetection/c23/videos/01_02__walk__ABC.mp4'),
      ...empty('original_sequences/actors/c23/videos/01__walk.mp4'),
    });
    const m = await buildManifest({ root, format: 'ffpp', methods: ['DeepFakeDetection'] });
    expect(m.rows.map((r) => [r.label, r.split])).toEqual([
      ['fake', 'test'],
      ['real', 'test'],
    ]);
  });

  it('rejects split files that are not lists of id pairs', async () => {
    const root = await makeTree({ ...ffppFiles(), 'splits/val.json': '{"a": 1}', 'splits/test.json': 'not json' });
    const err = await caught(buildManifest({ root, format: 'ffpp' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toMatch(/splits\/val\.json: not a list of id pairs/);
    expect(err.message).toMatch(/splits\/test\.json: not valid JSON/);
  });

  it('keeps only the requested splits (pretraining uses train + val reals)', async () => {
    const root = await makeTree(ffppFiles());
    const m = await buildManifest({ root, format: 'ffpp', splits: ['train', 'val'] });
    expect(new Set(m.rows.map((r) => r.split))).toEqual(new Set(['train', 'val']));
  });
});
