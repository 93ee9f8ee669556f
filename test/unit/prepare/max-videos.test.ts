import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorkflowInput } from '../../../lib/config';
import { capRows } from '../../../lib/prepare/video';
import { loadPlan, planPrepare } from '../../../lib/stage/prepare';
import { FileStore } from '../../../lib/store';
import { empty, makeTree } from '../datasets/tree';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-maxvideos-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** FF++ layout with 8 identities: 2 pairs per split; the manifest (sorted by path) lists every fake before any real. */
function ffpp(): Record<string, string> {
  const pairs = { train: [['000', '001'], ['002', '003']], val: [['004', '005'], ['006', '007']], test: [['008', '009'], ['010', '011']] };
  const files: Record<string, string> = {};
  for (const [split, ps] of Object.entries(pairs)) files[`splits/${split}.json`] = JSON.stringify(ps);
  const ids = Object.values(pairs).flat(2);
  Object.assign(files, empty(...ids.map((id) => `original_sequences/youtube/c23/videos/${id}.mp4`)));
  for (const m of ['Deepfakes', 'FaceSwap']) for (const [a, b] of Object.values(pairs).flat()) Object.assign(files, empty(`manipulated_sequences/${m}/c23/videos/${a}_${b}.mp4`, `manipulated_sequences/${m}/c23/videos/${b}_${a}.mp4`));
  return files;
}

describe('maxVideos', () => {
  it('caps each class in each split, so a capped training set has reals and fakes', async () => {
    const root = await makeTree(ffpp());
    const store = new FileStore(path.join(dir, 'store'));
    const input = parseWorkflowInput('PrepareDataset', { dataset: { root, format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] }, prepare: { purpose: 'finetune' }, maxVideos: 2 });
    const plan = await planPrepare(input, store);
    const { rows } = await loadPlan(store, plan.planPrefix);
    const counts: Record<string, number> = {};
    for (const r of rows) counts[`${r.split} ${r.label}`] = (counts[`${r.split} ${r.label}`] ?? 0) + 1;
    expect(counts).toEqual({ 'train real': 2, 'train fake': 2, 'val real': 2, 'val fake': 2, 'test real': 2, 'test fake': 2 });
    expect(plan.videosTotal).toBe(12);
  });

  it('picks the same rows whatever the manifest order, keeps manifest order, and spreads over the candidates', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: `d/v${String(i).padStart(3, '0')}`, label: i < 30 ? ('fake' as const) : ('real' as const), split: 'train' as const }));
    const a = capRows(rows, 5);
    const b = capRows([...rows].reverse(), 5);
    expect(a.map((r) => r.id)).toEqual([...b].reverse().map((r) => r.id));
    expect(a.filter((r) => r.label === 'fake')).toHaveLength(5);
    expect(a.filter((r) => r.label === 'real')).toHaveLength(5);
    // Not the first five fakes of the manifest.
    expect(a.filter((r) => r.label === 'fake').map((r) => r.id)).not.toEqual(rows.slice(0, 5).map((r) => r.id));
    expect(capRows(rows, 100)).toEqual(rows);
  });
});
