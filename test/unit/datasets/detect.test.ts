import { describe, expect, it } from 'vitest';
import { InvalidConfig, InvalidDatasetLayout } from '../../../lib/errors.js';
import {
  buildManifest,
  DatasetOptions,
  datasetFormats,
  detectLayout,
  parseJsonl,
  toJsonl,
} from '../../../lib/datasets/index.js';
import { parseCsv } from '../../../lib/datasets/csv.js';
import { caught, empty, makeTree } from './tree.js';

const landmarks: Record<(typeof datasetFormats)[number], Record<string, string>> = {
  ffpp: empty('original_sequences/youtube/c23/videos/000.mp4'),
  celebdf: empty('Celeb-synthesis/a.mp4', 'List_of_testing_videos.txt'),
  dfdc: empty('test/labels.csv'),
  'dfdc-preview': { 'dataset.json': '{}' },
  wilddeepfake: empty('real_test/1/0.png'),
  diff: empty('test_subsets/T2I/test/real/a.png'),
  mcio: empty('casia/train/real/a_frame0.png'),
  'image-folders': empty('n0001/a.jpg'),
  plain: empty('real/a.mp4'),
};

describe('detectLayout', () => {
  it.each(Object.entries(landmarks))('recognises %s by its landmarks', async (format, files) => {
    expect(await detectLayout(await makeTree(files))).toBe(format);
  });

  it('recognises plain split folders and a lone CSV', async () => {
    expect(await detectLayout(await makeTree(empty('train/fake/a.mp4')))).toBe('plain');
    expect(await detectLayout(await makeTree(empty('labels.csv')))).toBe('plain');
  });

  it('lists every known layout when nothing matches', async () => {
    const err = await caught(detectLayout(await makeTree(empty('readme.txt', 'misc/notes.txt'))));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    for (const format of datasetFormats) expect(err.message).toContain(`- ${format} (`);
  });
});

describe('manifest', () => {
  const files = {
    ...empty('real/b.mp4', 'real/a.mp4', 'fake/z/1.png', 'fake/z/0.png', 'fake/y.mp4'),
  };

  it('is deterministic: same rows, sorted by path, unique ids <dataset>/<path>', async () => {
    const root = await makeTree(files);
    const a = await buildManifest({ root, name: 'mine' });
    const b = await buildManifest({ root, name: 'mine' });
    expect(toJsonl(a.rows)).toBe(toJsonl(b.rows));
    const paths = a.rows.map((r) => r.path);
    expect(paths).toEqual([...paths].sort());
    expect(new Set(a.rows.map((r) => r.id)).size).toBe(a.rows.length);
    expect(a.rows[0].id).toBe('mine/fake/y.mp4');
  });

  it('round-trips through JSONL with canonical field order and no undefined fields', async () => {
    const m = await buildManifest({ root: await makeTree(files), name: 'mine' });
    const text = toJsonl(m.rows);
    expect(text.split('\n')[0]).toBe(
      '{"id":"mine/fake/y.mp4","dataset":"mine","path":"fake/y.mp4","kind":"video","label":"fake","split":"test"}',
    );
    expect(parseJsonl(text)).toEqual(m.rows);
  });

  it('refuses JSONL with a bad row or a duplicate id, naming the line', () => {
    const row = { id: 'd/a.mp4', dataset: 'd', path: 'a.mp4', kind: 'video', label: 'real', split: 'test' };
    expect(() => parseJsonl(`${JSON.stringify(row)}\n${JSON.stringify({ ...row, label: 'x' })}\n`)).toThrow(/line 2/);
    expect(() => parseJsonl(`${JSON.stringify(row)}\n${JSON.stringify(row)}\n`)).toThrow(/line 2: duplicate id/);
    expect(() => parseJsonl('{oops')).toThrow(InvalidConfig);
  });
});

describe('DatasetOptions', () => {
  it('defaults to the paper: FF++ c23 with the four manipulations, Celeb-DF without YouTube-real', () => {
    const o = DatasetOptions.parse({ root: '/data' });
    expect(o.format).toBe('auto');
    expect(o.compression).toBe('c23');
    expect(o.methods).toEqual(['Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures']);
    expect(o.celebdfYoutubeReal).toBe(false);
    expect(o.diffSubsets).toEqual(['T2I', 'I2I', 'FS', 'FE']);
  });

  it('rejects unknown keys, methods and formats', () => {
    expect(DatasetOptions.safeParse({ root: '/d', method: ['Deepfakes'] }).success).toBe(false);
    expect(DatasetOptions.safeParse({ root: '/d', methods: ['DeepFakes'] }).success).toBe(false);
    expect(DatasetOptions.safeParse({ root: '/d', format: 'ff++' }).success).toBe(false);
    expect(DatasetOptions.safeParse({ root: '/d', name: '../x' }).success).toBe(false);
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, CRLF, a BOM and blank lines', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n\nlast,\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['last', ''],
    ]);
  });
});
