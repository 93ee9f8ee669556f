/**
 * Image folders per identity (VGGFace2 style): <root>/<identity>/<image>.jpg, all real, for pretraining.
 * group = the identity folder.
 */
import type { AdapterContext, DatasetAdapter } from '../adapter.js';
import { count } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import { mediaKind } from '../paths.js';

const EXPECTED = '<identity>/<image>.jpg folders (all real)';

export const imageFoldersAdapter: DatasetAdapter = {
  format: 'image-folders',
  title: 'image folders',
  expected: EXPECTED,
  defaultName: (_, root) => root.folderName,
  async detect(root) {
    for (const dir of await root.childDirs('')) {
      if ((await root.childFiles(dir)).some((f) => mediaKind(f) === 'image')) return true;
    }
    return false;
  },
  async read({ root, options, notes }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('Image-folder', root, EXPECTED);
    const rows: RowInput[] = [];
    for (const identity of await root.childDirs('')) {
      if (identity.startsWith('.')) continue;
      for (const path of await root.walkFiles(identity, (p) => mediaKind(p) === 'image')) {
        rows.push({ path, kind: 'image', label: 'real', split: options.imageFolderSplit, group: identity });
      }
    }
    if (rows.length === 0) problems.addMissing('identity folders holding images (<identity>/<image>.jpg)');
    problems.throwIfAny();
    const loose = (await root.childFiles('')).filter((f) => mediaKind(f) === 'image').length;
    if (loose) notes.push(`${count(loose, 'image')} directly in the root (not in an identity folder) were left out`);
    return rows;
  },
};
