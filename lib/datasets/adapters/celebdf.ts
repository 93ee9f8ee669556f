/**
 * Celeb-DF v2: Celeb-real/, Celeb-synthesis/, YouTube-real/ and List_of_testing_videos.txt, whose lines are
 * `<label> <path>` with 1 = real, 0 = fake. Test = the listed videos, train = every other video. YouTube-real is
 * left out unless asked for: the reference evaluation uses Celeb-real + Celeb-synthesis only.
 */
import { count, type AdapterContext, type DatasetAdapter } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import { DatasetRoot, mediaKind } from '../paths.js';

const LIST = 'List_of_testing_videos.txt';
const EXPECTED =
  `Celeb-real/, Celeb-synthesis/, YouTube-real/ (when included), ${LIST} (lines "<1 real|0 fake> <path>")`;

export const celebdfAdapter: DatasetAdapter = {
  format: 'celebdf',
  title: 'Celeb-DF v2',
  expected: EXPECTED,
  defaultName: () => 'celebdf-v2',
  detect: async (root) => (await root.isFile(LIST)) || (await root.isDir('Celeb-synthesis')),
  async read({ root, options, notes }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('Celeb-DF v2', root, EXPECTED);
    const folders: [string, 'real' | 'fake'][] = [
      ['Celeb-real', 'real'],
      ['Celeb-synthesis', 'fake'],
    ];
    if (options.celebdfYoutubeReal) folders.push(['YouTube-real', 'real']);
    const present = new Set<string>();
    for (const [dir] of folders) if (await problems.requireDir(dir)) present.add(dir);
    const testLabels = new Map<string, 'real' | 'fake'>();
    if (await problems.requireFile(LIST)) {
      const lines = (await root.readText(LIST)).split(/\r?\n/);
      for (const [i, raw] of lines.entries()) {
        const line = raw.trim();
        if (line === '') continue;
        const m = /^([01])\s+(.+)$/.exec(line);
        if (!m) {
          problems.addInvalid(`${LIST} line ${i + 1}: expected "<0|1> <path>", got ${JSON.stringify(line)}`);
          continue;
        }
        const path = DatasetRoot.checkListedPath(m[2], `${LIST} line ${i + 1}`);
        testLabels.set(path, m[1] === '1' ? 'real' : 'fake');
      }
    }
    // Listed videos of a folder that is missing as a whole are covered by that folder's entry.
    for (const path of testLabels.keys()) {
      if (!present.has(path.split('/')[0])) continue;
      if (!(await root.isFile(path))) problems.addMissing(`${path} (listed in ${LIST})`);
    }
    problems.throwIfAny();

    const included = new Set(folders.map(([dir]) => dir));
    const rows: RowInput[] = [];
    for (const [dir, folderLabel] of folders) {
      for (const path of await root.walkFiles(dir, (p) => mediaKind(p) === 'video')) {
        const listed = testLabels.get(path);
        // The list's label is authoritative for test videos; it agrees with the folder in the official release.
        rows.push({ path, kind: 'video', label: listed ?? folderLabel, split: listed ? 'test' : 'train' });
      }
    }
    const skipped = [...testLabels.keys()].filter((p) => !included.has(p.split('/')[0])).length;
    if (skipped) notes.push(`${count(skipped, 'listed test video')} outside the included folders were left out`);
    return rows;
  },
};
