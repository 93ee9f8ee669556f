/**
 * DFDC test set: test/videos/ (or test/ori_videos/, possibly in sub-folders) and test/labels.csv with
 * `filename,label`, 1 = fake. Videos are matched to labels by file name; everything is test.
 */
import { posix } from 'node:path';
import { count, type AdapterContext, type DatasetAdapter } from '../adapter.js';
import { parseCsv } from '../csv.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import { DatasetRoot, mediaKind } from '../paths.js';

const LABELS = 'test/labels.csv';
const EXPECTED = `test/videos/*.mp4 (or test/ori_videos/), ${LABELS} with "filename,label" (1 = fake)`;

export const dfdcAdapter: DatasetAdapter = {
  format: 'dfdc',
  title: 'DFDC (test set)',
  expected: EXPECTED,
  defaultName: () => 'dfdc',
  detect: async (root) =>
    (await root.isFile(LABELS)) || (await root.isDir('test/ori_videos')) || (await root.isDir('test/videos')),
  async read({ root, notes }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('DFDC', root, EXPECTED);
    const videoDir = (await root.isDir('test/videos')) ? 'test/videos' : 'test/ori_videos';
    if (!(await root.isDir(videoDir))) problems.addMissing('test/videos/ (or test/ori_videos/)');
    const labels = new Map<string, 'real' | 'fake'>();
    if (await problems.requireFile(LABELS)) {
      const records = parseCsv(await root.readText(LABELS));
      const header = records[0]?.map((h) => h.trim().toLowerCase());
      const nameCol = header?.indexOf('filename') ?? -1;
      const labelCol = header?.indexOf('label') ?? -1;
      if (nameCol < 0 || labelCol < 0) problems.addInvalid(`${LABELS}: header must name "filename" and "label"`);
      else {
        for (const [i, rec] of records.slice(1).entries()) {
          const name = rec[nameCol]?.trim() ?? '';
          const label = rec[labelCol]?.trim();
          const where = `${LABELS} line ${i + 2}`;
          if (name === '' && rec.length === 1) continue;
          DatasetRoot.checkListedPath(name, where);
          if (label !== '0' && label !== '1') {
            problems.addInvalid(`${where}: label must be 0 or 1, got ${JSON.stringify(label)}`);
          } else labels.set(posix.basename(name), label === '1' ? 'fake' : 'real');
        }
      }
    }
    problems.throwIfAny();

    const found = new Map<string, string>();
    for (const path of await root.walkFiles(videoDir, (p) => mediaKind(p) === 'video')) {
      const name = posix.basename(path);
      const other = found.get(name);
      if (other) problems.addInvalid(`${name} appears twice: ${other} and ${path}`);
      else found.set(name, path);
    }
    for (const name of labels.keys()) {
      if (!found.has(name)) problems.addMissing(`${videoDir}/${name} (listed in ${LABELS})`);
    }
    problems.throwIfAny();

    const rows: RowInput[] = [];
    let unlabelled = 0;
    for (const [name, path] of found) {
      const label = labels.get(name);
      if (label) rows.push({ path, kind: 'video', label, split: 'test' });
      else unlabelled++;
    }
    if (unlabelled) notes.push(`${count(unlabelled, 'video')} without a label in ${LABELS} were left out`);
    return rows;
  },
};
