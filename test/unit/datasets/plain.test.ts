import { describe, expect, it } from 'vitest';
import { InvalidConfig, InvalidDatasetLayout, InvalidPath } from '../../../lib/errors.js';
import { buildManifest } from '../../../lib/datasets/index.js';
import { caught, empty, makeTree } from './tree.js';

describe('plain adapter', () => {
  it('reads real/** and fake/** videos and images; frames in a folder are grouped by it', async () => {
    const root = await makeTree(
      empty('real/a.mp4', 'real/clip1/0001.png', 'real/clip1/0002.png', 'fake/deep/b.MOV', 'fake/c.jpg', 'fake/notes.md'),
    );
    const m = await buildManifest({ root });
    expect(m.format).toBe('plain');
    expect(m.rows.map((r) => [r.path, r.kind, r.label, r.split, r.group ?? null])).toEqual([
      ['fake/c.jpg', 'image', 'fake', 'test', null],
      ['fake/deep/b.MOV', 'video', 'fake', 'test', null],
      ['real/a.mp4', 'video', 'real', 'test', null],
      ['real/clip1/0001.png', 'image', 'real', 'test', 'real/clip1'],
      ['real/clip1/0002.png', 'image', 'real', 'test', 'real/clip1'],
    ]);
    expect(m.notes.join()).toMatch(/1 file that are neither/);
  });

  it('takes the split from {train,val,test}/ folders, or from plainSplit', async () => {
    const root = await makeTree(empty('train/real/a.mp4', 'train/fake/b.mp4', 'val/real/c.mp4', 'test/fake/d.mp4'));
    const m = await buildManifest({ root });
    expect(m.rows.map((r) => [r.path, r.split])).toEqual([
      ['test/fake/d.mp4', 'test'],
      ['train/fake/b.mp4', 'train'],
      ['train/real/a.mp4', 'train'],
      ['val/real/c.mp4', 'val'],
    ]);
    const flat = await makeTree(empty('real/a.mp4'));
    expect((await buildManifest({ root: flat, plainSplit: 'train' })).rows[0].split).toBe('train');
  });

  it('reads a CSV path,label[,split] with a header and quoted paths', async () => {
    const root = await makeTree({
      ...empty('media/a,1.mp4', 'media/b.png', 'media/c.mp4'),
      'list.csv': 'path,label,split\r\n"media/a,1.mp4",fake,train\r\nmedia/b.png,REAL,\r\n./media/c.mp4,real,val\r\n',
    });
    const m = await buildManifest({ root, format: 'plain', csv: 'list.csv' });
    expect(m.rows.map((r) => [r.path, r.kind, r.label, r.split])).toEqual([
      ['media/a,1.mp4', 'video', 'fake', 'train'],
      ['media/b.png', 'image', 'real', 'test'],
      ['media/c.mp4', 'video', 'real', 'val'],
    ]);
    // The root's only CSV is found without the option.
    expect((await buildManifest({ root })).rows.length).toBe(3);
  });

  it('lists every bad CSV line and every missing file in one error', async () => {
    const root = await makeTree({
      ...empty('a.mp4'),
      'list.csv': 'a.mp4,real\nmissing1.mp4,fake\nmissing2.mp4,fake\na.mp4,maybe\nnotes.txt,real\n',
    });
    const err = await caught(buildManifest({ root, format: 'plain', csv: 'list.csv' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    for (const part of ['missing1.mp4', 'missing2.mp4', 'line 4: label must be "real" or "fake"', 'notes.txt is neither']) {
      expect(err.message).toContain(part);
    }
  });

  it('rejects CSV paths with .. or absolute paths as InvalidPath naming the path', async () => {
    for (const bad of ['../secret.mp4', 'real/../../secret.mp4', '/etc/hosts.mp4', 'C:/x.mp4', 'a\\..\\b.mp4']) {
      const root = await makeTree({ 'list.csv': `${bad},real\n` });
      const err = await caught(buildManifest({ root, csv: 'list.csv' }));
      expect(err, bad).toBeInstanceOf(InvalidPath);
      expect(err.message).toContain(JSON.stringify(bad));
    }
  });

  it('says what is missing when the folder has nothing usable', async () => {
    const root = await makeTree(empty('a.csv', 'b.csv'));
    const err = await caught(buildManifest({ root, format: 'plain' }));
    expect(err).toBeInstanceOf(InvalidDatasetLayout);
    expect(err.message).toContain('a.csv, b.csv');
  });

  it('rejects invalid options with InvalidConfig', async () => {
    const root = await makeTree(empty('real/a.mp4'));
    await expect(buildManifest({ root, format: 'nope' as 'plain' })).rejects.toBeInstanceOf(InvalidConfig);
    await expect(buildManifest({ root, compresion: 'c40' } as never)).rejects.toThrow(/compresion/);
  });
});
