/**
 * FaceForensics++: original_sequences/youtube/<c>/videos/NNN.mp4 (real) and
 * manipulated_sequences/<Method>/<c>/videos/AAA_BBB.mp4 (fake, target AAA with source BBB). The official
 * splits/{train,val,test}.json are lists of id pairs; a real NNN is in the split of the pair that contains it,
 * a fake AAA_BBB in the split of the pair {AAA, BBB} (both directions of a pair share the split).
 * DeepFakeDetection (with its real original_sequences/actors) has no official split: all test, as the reference.
 */
import { posix } from 'node:path';
import { count, type AdapterContext, type DatasetAdapter } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import type { Split } from '../options.js';
import { mediaKind, type DatasetRoot } from '../paths.js';

const SPLITS: Split[] = ['train', 'val', 'test'];

const EXPECTED =
  'original_sequences/youtube/<c>/videos/*.mp4, manipulated_sequences/<Method>/<c>/videos/*.mp4 for each ' +
  'requested method, splits/{train,val,test}.json';

export const ffppAdapter: DatasetAdapter = {
  format: 'ffpp',
  title: 'FaceForensics++',
  expected: EXPECTED,
  defaultName: (options) => `ffpp-${options.compression}`,
  detect: async (root) => (await root.isDir('original_sequences')) || (await root.isDir('manipulated_sequences')),
  async read({ root, options, notes }: AdapterContext): Promise<RowInput[]> {
    const c = options.compression;
    const problems = new LayoutProblems('FaceForensics++', root, EXPECTED);
    // DeepFakeDetection alone is its own test set (actors as reals): it needs neither YouTube reals nor splits.
    const paired = options.methods.some((m) => m !== 'DeepFakeDetection');
    const realDir = `original_sequences/youtube/${c}/videos`;
    const hasReal = paired && (await problems.requireDir(realDir));
    const fakeDirs: [string, string][] = [];
    for (const method of options.methods) {
      const dir = `manipulated_sequences/${method}/${c}/videos`;
      if (await problems.requireDir(dir)) fakeDirs.push([method, dir]);
    }
    const dfd = options.methods.includes('DeepFakeDetection');
    const actorsDir = `original_sequences/actors/${c}/videos`;
    const hasActors = dfd && (await problems.requireDir(actorsDir));
    const splitOf = paired ? await readSplits(root, options.splitsDir, problems) : new Map<string, Split>();
    problems.throwIfAny();

    const rows: RowInput[] = [];
    let outside = 0;
    let unnamed = 0;
    const videos = (dir: string) => root.walkFiles(dir, (p) => mediaKind(p) === 'video');
    if (hasReal) {
      for (const path of await videos(realDir)) {
        const id = stem(path);
        const split = splitOf.get(id);
        if (!/^\d+$/.test(id)) unnamed++;
        else if (!split) outside++;
        else rows.push({ path, kind: 'video', label: 'real', split });
      }
    }
    for (const [method, dir] of fakeDirs) {
      for (const path of await videos(dir)) {
        if (method === 'DeepFakeDetection') {
          rows.push({ path, kind: 'video', label: 'fake', method, split: 'test' });
          continue;
        }
        const m = /^(\d+)_(\d+)$/.exec(stem(path));
        const split = m ? splitOf.get(pairKey(m[1], m[2])) : undefined;
        if (!m) unnamed++;
        else if (!split) outside++;
        else rows.push({ path, kind: 'video', label: 'fake', method, split });
      }
    }
    if (hasActors) {
      for (const path of await videos(actorsDir)) rows.push({ path, kind: 'video', label: 'real', split: 'test' });
    }
    if (outside) notes.push(`${count(outside, 'video')} in no official split were left out`);
    if (unnamed) notes.push(`${count(unnamed, 'video')} not named like FF++ ids (NNN or NNN_MMM) were left out`);
    return rows;
  },
};

function stem(path: string): string {
  return posix.basename(path, posix.extname(path));
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}_${b}` : `${b}_${a}`;
}

/** id → split and pair key → split, from the three official JSON files. */
async function readSplits(root: DatasetRoot, splitsDir: string, problems: LayoutProblems): Promise<Map<string, Split>> {
  const splitOf = new Map<string, Split>();
  for (const split of SPLITS) {
    const file = `${splitsDir}/${split}.json`;
    if (!(await problems.requireFile(file))) continue;
    let pairs: unknown;
    try {
      pairs = JSON.parse(await root.readText(file));
    } catch {
      problems.addInvalid(`${file}: not valid JSON`);
      continue;
    }
    const isId = (x: unknown) => typeof x === 'string' && /^\d+$/.test(x);
    const valid = Array.isArray(pairs) && pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every(isId));
    if (!valid) {
      problems.addInvalid(`${file}: not a list of id pairs like [["953", "974"], ...]`);
      continue;
    }
    for (const [a, b] of pairs as [string, string][]) {
      for (const key of [a, b, pairKey(a, b)]) {
        const earlier = splitOf.get(key);
        if (earlier && earlier !== split) problems.addInvalid(`${key} is in both ${earlier}.json and ${split}.json`);
        else splitOf.set(key, split);
      }
    }
  }
  return splitOf;
}
