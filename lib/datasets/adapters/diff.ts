/**
 * DiFF: test_subsets/{T2I,I2I,FS,FE}/test/{real,fake}/… images, and `val` likewise when present. Every row
 * carries its subset as `domain` (per-subset reports); fakes also as `method`.
 */
import type { AdapterContext, DatasetAdapter } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import type { Split } from '../options.js';
import { mediaKind } from '../paths.js';

const EXPECTED = 'test_subsets/<T2I|I2I|FS|FE>/test/{real,fake}/<images> (and val/{real,fake}/ optionally)';

export const diffAdapter: DatasetAdapter = {
  format: 'diff',
  title: 'DiFF',
  expected: EXPECTED,
  defaultName: () => 'diff',
  detect: (root) => root.isDir('test_subsets'),
  async read({ root, options }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('DiFF', root, EXPECTED);
    const parts: { dir: string; subset: string; split: Split; label: 'real' | 'fake' }[] = [];
    for (const subset of options.diffSubsets) {
      for (const split of ['test', 'val'] as const) {
        const splitDir = `test_subsets/${subset}/${split}`;
        // val is optional, but a val folder that exists must be complete.
        if (split === 'val' && !(await root.isDir(splitDir))) continue;
        for (const label of ['real', 'fake'] as const) {
          const dir = `${splitDir}/${label}`;
          if (await problems.requireDir(dir)) parts.push({ dir, subset, split, label });
        }
      }
    }
    problems.throwIfAny();
    const rows: RowInput[] = [];
    for (const { dir, subset, split, label } of parts) {
      const images = await root.walkFiles(dir, (p) => mediaKind(p) === 'image');
      if (images.length === 0) problems.addMissing(`images under ${dir}/`);
      for (const path of images) {
        const method = label === 'fake' ? { method: subset } : {};
        rows.push({ path, kind: 'image', label, split, domain: subset, ...method });
      }
    }
    problems.throwIfAny();
    return rows;
  },
};
