/**
 * WildDeepfake: face crops (224 px) as frame images, real_test/<video>/…/<frame>.png and fake_test/<video>/…
 * (real_train/ and fake_train/ are read too when present). group = the folder holding the frames.
 */
import { posix } from 'node:path';
import type { AdapterContext, DatasetAdapter } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import type { Split } from '../options.js';
import { mediaKind } from '../paths.js';

const FOLDERS: { dir: string; label: 'real' | 'fake'; split: Split; required: boolean }[] = [
  { dir: 'real_test', label: 'real', split: 'test', required: true },
  { dir: 'fake_test', label: 'fake', split: 'test', required: true },
  { dir: 'real_train', label: 'real', split: 'train', required: false },
  { dir: 'fake_train', label: 'fake', split: 'train', required: false },
];
const EXPECTED = 'real_test/<video>/<frame>.png and fake_test/<video>/<frame>.png (real_train/, fake_train/ optional)';

export const wildDeepfakeAdapter: DatasetAdapter = {
  format: 'wilddeepfake',
  title: 'WildDeepfake',
  expected: EXPECTED,
  defaultName: () => 'wilddeepfake',
  async detect(root) {
    for (const { dir } of FOLDERS) if (await root.isDir(dir)) return true;
    return false;
  },
  async read({ root }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('WildDeepfake', root, EXPECTED);
    const present: typeof FOLDERS = [];
    for (const folder of FOLDERS) {
      if (folder.required ? await problems.requireDir(folder.dir) : await root.isDir(folder.dir)) present.push(folder);
    }
    problems.throwIfAny();
    const rows: RowInput[] = [];
    for (const { dir, label, split } of present) {
      const images = await root.walkFiles(dir, (p) => mediaKind(p) === 'image');
      if (images.length === 0) problems.addMissing(`frame images under ${dir}/`);
      for (const path of images) {
        const group = posix.dirname(path);
        if (group === dir) problems.addInvalid(`${path}: frames must sit in a per-video folder (${dir}/<video>/)`);
        else rows.push({ path, kind: 'image', label, split, group });
      }
    }
    problems.throwIfAny();
    return rows;
  },
};
