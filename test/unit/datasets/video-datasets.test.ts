import { describe, expect, it } from 'vitest';
import { InvalidDatasetLayout, InvalidPath } from '../../../lib/errors.js';
import { buildManifest } from '../../../lib/datasets/index.js';
import { caught, empty, makeTree } from './tree.js';

describe('Celeb-DF v2 adapter', () => {
  const files = {
    ...empty(
      'Celeb-real/id0_0000.mp4',
      'Celeb-real/id0_0001.mp4',
      'Celeb-synthesis/id0_id1_0000.mp4',
      'Celeb-synthesis/id0_id1_0001.mp4',
      'YouTube-real/00000.mp4',
      'YouTube-real/00001.mp4',
    ),
    'List_of_testing_videos.txt':
      '1 YouTube-real/00000.mp4\n1 Celeb-real/id0_0000.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n',
  };

  it('puts listed videos in test with the list label (1 = real) and the rest in train, without YouTube-real', async () => {
    const root = await makeTree(files);
    const m = await buildManifest({ root, format: 'celebdf' });
    expect(m.dataset).toBe('celebdf-v2');
    expect(m.rows.map((r) => [r.path, r.label, r.split])).toEqual([
      ['Celeb-real/id0_0000.mp4', 'real', 'test'],
      ['Celeb-real/id0_0001.mp4', 'real', 'train'],
      ['Celeb-synthesis/id0_id1_0000.mp4', 'fake', 'test'],
      ['Celeb-synthesis/id0_id1_0001.mp4', 'fake', 'train'],
    ]);
  });

  it('includes YouTube-real when asked', async () => {
    const root = await makeTree(files);
    const m = await buildManifest({ root, format: 'celebdf', celebdfYoutubeReal: true });
    const yt = m.rows.filter((r) => r.path.startsWith('YouTube-real/'));
    expect(yt.map((r) => [r.label, r.split])).toEqual([
      ['real', 'test'],
      ['real', 'train'],
    ]);
  });

  it('lists the missing folder and every listed video that is absent, in one error', async () => {
    const root = await makeTree({
      ...empty('Celeb-real/id0_0000.mp4'),
      'List_of_testing_videos.txt': '1 Celeb-real/id0_0000.mp4\n1 Celeb-real/gone.mp4\n1 Celeb-real/gone2.mp4\n',
    });
    const err = await caught(buildManifest({ root, format: 'celebdf' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('missing (3)');
    expect(err.message).toContain('Celeb-synthesis/');
    expect(err.message).toContain('Celeb-real/gone.mp4');
    expect(err.message).toContain('Celeb-real/gone2.mp4');
  });

  it('rejects a listed path with .. as InvalidPath naming it', async () => {
    const root = await makeTree({ ...files, 'List_of_testing_videos.txt': '1 Celeb-real/../../etc/passwd\n' });
    const err = await caught(buildManifest({ root, format: 'celebdf' }));
    expect(err).toBeInstanceOf(InvalidPath);
    expect(err.message).toContain('Celeb-real/../../etc/passwd');
  });
});

describe('DFDC test adapter', () => {
  it('labels by file name from test/labels.csv with 1 = fake, all test, videos in sub-folders too', async () => {
    const root = await makeTree({
      ...empty('test/ori_videos/part0/aaa.mp4', 'test/ori_videos/part1/bbb.mp4', 'test/ori_videos/part1/ccc.mp4'),
      'test/labels.csv': 'filename,label\naaa.mp4,1\nbbb.mp4,0\n',
    });
    const m = await buildManifest({ root });
    expect(m.format).toBe('dfdc');
    expect(m.rows.map((r) => [r.path, r.label, r.split])).toEqual([
      ['test/ori_videos/part0/aaa.mp4', 'fake', 'test'],
      ['test/ori_videos/part1/bbb.mp4', 'real', 'test'],
    ]);
    expect(m.notes.join()).toMatch(/1 video without a label/);
  });

  it('lists all labelled videos that are missing', async () => {
    const root = await makeTree({
      ...empty('test/videos/aaa.mp4'),
      'test/labels.csv': 'filename,label\naaa.mp4,1\nbbb.mp4,0\nccc.mp4,1\n',
    });
    const err = await caught(buildManifest({ root, format: 'dfdc' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('test/videos/bbb.mp4');
    expect(err.message).toContain('test/videos/ccc.mp4');
  });

  it('names both the videos folder and labels.csv when neither exists', async () => {
    const root = await makeTree(empty('test/'));
    const err = await caught(buildManifest({ root, format: 'dfdc' }));
    expect(err.message).toContain('test/videos/ (or test/ori_videos/)');
    expect(err.message).toContain('test/labels.csv');
  });
});

describe('DFDC preview adapter', () => {
  const index = {
    'method_A/1/a.mp4': { label: 'fake', set: 'train' },
    'original_videos/1/b.mp4': { label: 'real', set: 'test' },
  };

  it('takes label and split from dataset.json', async () => {
    const root = await makeTree({ ...empty(...Object.keys(index)), 'dataset.json': JSON.stringify(index) });
    const m = await buildManifest({ root });
    expect(m.format).toBe('dfdc-preview');
    expect(m.rows.map((r) => [r.path, r.label, r.split])).toEqual([
      ['method_A/1/a.mp4', 'fake', 'train'],
      ['original_videos/1/b.mp4', 'real', 'test'],
    ]);
  });

  it('lists missing videos and malformed entries together', async () => {
    const root = await makeTree({
      'dataset.json': JSON.stringify({ ...index, 'x.mp4': { label: 'maybe', set: 'train' } }),
    });
    const err = await caught(buildManifest({ root, format: 'dfdc-preview' }));
    expect(err.message).toContain('method_A/1/a.mp4');
    expect(err.message).toContain('original_videos/1/b.mp4');
    expect(err.message).toContain('"x.mp4"');
  });

  it('rejects absolute and .. paths as InvalidPath', async () => {
    for (const bad of ['/etc/passwd.mp4', '../outside.mp4', 'a/../../b.mp4']) {
      const root = await makeTree({ 'dataset.json': JSON.stringify({ [bad]: { label: 'real', set: 'test' } }) });
      const err = await caught(buildManifest({ root, format: 'dfdc-preview' }));
      expect(err).toBeInstanceOf(InvalidPath);
      expect(err.message).toContain(bad);
    }
  });
});
