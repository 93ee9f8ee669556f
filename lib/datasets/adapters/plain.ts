/**
 * Plain datasets a user assembles: <root>/real/** and <root>/fake/** (videos or images), the same under
 * <root>/{train,val,test}/, or a CSV `path,label[,split]` (labels "real"/"fake"; an optional header row).
 * Frames of one video in their own folder (real/<video>/<frame>.png) get group = that folder.
 */
import { posix } from 'node:path';
import { count, type AdapterContext, type DatasetAdapter } from '../adapter.js';
import { parseCsv } from '../csv.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import { Split } from '../options.js';
import { DatasetRoot, mediaKind } from '../paths.js';

const LABELS = ['real', 'fake'] as const;
const SPLITS = ['train', 'val', 'test'] as const;
const EXPECTED =
  'real/** and/or fake/** (videos or images), or {train,val,test}/{real,fake}/**, or a CSV path,label[,split]';

async function splitFolders(root: DatasetRoot): Promise<Split[]> {
  const found: Split[] = [];
  for (const split of SPLITS) {
    if ((await root.isDir(`${split}/real`)) || (await root.isDir(`${split}/fake`))) found.push(split);
  }
  return found;
}

async function rootCsvs(root: DatasetRoot): Promise<string[]> {
  return (await root.childFiles('')).filter((f) => f.toLowerCase().endsWith('.csv'));
}

export const plainAdapter: DatasetAdapter = {
  format: 'plain',
  title: 'plain',
  expected: EXPECTED,
  defaultName: (_, root) => root.folderName,
  async detect(root) {
    if ((await root.isDir('real')) || (await root.isDir('fake'))) return true;
    if ((await splitFolders(root)).length) return true;
    return (await rootCsvs(root)).length === 1;
  },
  async read(ctx: AdapterContext): Promise<RowInput[]> {
    const { root, options } = ctx;
    if (options.csv) return readCsv(ctx, DatasetRoot.checkListedPath(options.csv, 'the csv option'));
    const splits = await splitFolders(root);
    if (splits.length) return readFolders(ctx, splits.map((s) => ({ base: s, split: s })));
    if ((await root.isDir('real')) || (await root.isDir('fake'))) {
      return readFolders(ctx, [{ base: '', split: options.plainSplit }]);
    }
    const csvs = await rootCsvs(root);
    if (csvs.length === 1) return readCsv(ctx, csvs[0]);
    const problems = new LayoutProblems('Plain dataset', root, EXPECTED);
    problems.addMissing(
      csvs.length > 1 ? `a csv option choosing one of ${csvs.join(', ')}` : 'real/ or fake/ (or a CSV)',
    );
    problems.throwIfAny();
    return [];
  },
};

async function readFolders(
  { root, notes }: AdapterContext,
  bases: { base: string; split: Split }[],
): Promise<RowInput[]> {
  const problems = new LayoutProblems('Plain dataset', root, EXPECTED);
  const rows: RowInput[] = [];
  let ignored = 0;
  for (const { base, split } of bases) {
    for (const label of LABELS) {
      const dir = base ? `${base}/${label}` : label;
      if (!(await root.isDir(dir))) continue;
      for (const path of await root.walkFiles(dir)) {
        const kind = mediaKind(path);
        if (!kind) {
          ignored++;
          continue;
        }
        const folder = posix.dirname(path);
        rows.push({ path, kind, label, split, ...(kind === 'image' && folder !== dir ? { group: folder } : {}) });
      }
    }
  }
  if (rows.length === 0) {
    const where = bases.map((b) => (b.base ? `${b.base}/{real,fake}/` : '{real,fake}/')).join(', ');
    problems.addMissing(`videos or images under ${where}`);
  }
  problems.throwIfAny();
  if (ignored) notes.push(`${count(ignored, 'file')} that are neither videos nor images were left out`);
  return rows;
}

async function readCsv({ root, options }: AdapterContext, csv: string): Promise<RowInput[]> {
  const problems = new LayoutProblems('Plain dataset', root, EXPECTED);
  if (!(await problems.requireFile(csv))) problems.throwIfAny();
  const records = parseCsv(await root.readText(csv));
  let cols = { path: 0, label: 1, split: 2 };
  let start = 0;
  const first = records[0]?.map((f) => f.trim().toLowerCase()) ?? [];
  if (first.includes('path') && first.includes('label')) {
    cols = { path: first.indexOf('path'), label: first.indexOf('label'), split: first.indexOf('split') };
    start = 1;
  }
  const rows: RowInput[] = [];
  const seen = new Set<string>();
  for (let i = start; i < records.length; i++) {
    const rec = records[i];
    const where = `${csv} line ${i + 1}`;
    const path = DatasetRoot.checkListedPath(rec[cols.path] ?? '', where);
    const label = rec[cols.label]?.trim().toLowerCase();
    const splitText = cols.split >= 0 ? rec[cols.split]?.trim().toLowerCase() : undefined;
    const split = splitText ? Split.safeParse(splitText) : { success: true as const, data: options.plainSplit };
    const kind = mediaKind(path);
    if (label !== 'real' && label !== 'fake') {
      problems.addInvalid(`${where}: label must be "real" or "fake", got ${JSON.stringify(rec[cols.label])}`);
    } else if (!split.success) {
      problems.addInvalid(`${where}: split must be train, val or test, got ${JSON.stringify(splitText)}`);
    } else if (!kind) {
      problems.addInvalid(`${where}: ${path} is neither a video nor an image`);
    } else if (seen.has(path)) {
      problems.addInvalid(`${where}: ${path} is listed twice`);
    } else if (!(await root.isFile(path))) {
      problems.addMissing(`${path} (listed in ${csv})`);
    } else {
      seen.add(path);
      rows.push({ path, kind, label, split: split.data });
    }
  }
  if (records.length <= start) problems.addMissing(`rows in ${csv}`);
  problems.throwIfAny();
  return rows;
}
