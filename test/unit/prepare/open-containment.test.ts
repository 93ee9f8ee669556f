/**
 * Containment is re-checked when a dataset file is opened: planning saw a plain file inside the root, and if it is
 * swapped for a symlink (or its folder for a symlinked folder) pointing outside before prepareUnit runs, the row is
 * refused with InvalidPath and nothing outside the root is read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorkflowInput } from '../../../lib/config';
import { openInsideRoot } from '../../../lib/datasets/paths';
import { InvalidPath } from '../../../lib/errors';
import { loadPlan, planPrepare, prepareUnit } from '../../../lib/stage/prepare';
import { FileStore } from '../../../lib/store';
import { empty, makeTree } from '../datasets/tree';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-open-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const REALS = 'original_sequences/youtube/c23/videos';
function ffpp(): Record<string, string> {
  return {
    'splits/train.json': JSON.stringify([['000', '001']]),
    'splits/val.json': JSON.stringify([]),
    'splits/test.json': JSON.stringify([]),
    ...empty(`${REALS}/000.mp4`, `${REALS}/001.mp4`, 'manipulated_sequences/Deepfakes/c23/videos/000_001.mp4', 'manipulated_sequences/Deepfakes/c23/videos/001_000.mp4'),
  };
}

async function planned(root: string) {
  const store = new FileStore(path.join(dir, `store-${path.basename(root)}`));
  const input = parseWorkflowInput('PrepareDataset', { dataset: { root, format: 'ffpp', methods: ['Deepfakes'] }, prepare: { purpose: 'pretrain', face: { upsample: 0 } } });
  const plan = await planPrepare(input, store);
  const { rows } = await loadPlan(store, plan.planPrefix);
  return { store, plan, rows };
}

describe('dataset files are contained at open time', () => {
  it('a planned file swapped for a symlink to a file outside the root is refused by prepareUnit', async () => {
    const root = await makeTree(ffpp());
    const secret = path.join(dir, 'secret.mp4');
    fs.writeFileSync(secret, 'not for the pipeline');
    const { store, plan, rows } = await planned(root);
    const unit = rows.findIndex((r) => r.path === `${REALS}/000.mp4`);
    expect(unit).toBeGreaterThanOrEqual(0);
    fs.rmSync(path.join(root, REALS, '000.mp4'));
    fs.symlinkSync(secret, path.join(root, REALS, '000.mp4'));
    const res = await prepareUnit(store, { planPrefix: plan.planPrefix, unit });
    expect(res.entries).toHaveLength(1);
    const entry = res.entries[0] as { error?: { type: string; message: string } };
    expect(entry.error?.type).toBe('InvalidPath');
    expect(entry.error?.message).toMatch(/000\.mp4 resolves outside the dataset root .* when opened/);
  });

  it('a folder swapped for a symlink to an outside folder is refused too; links that stay inside are fine', async () => {
    const root = await makeTree(ffpp());
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, '001.mp4'), 'x');
    fs.renameSync(path.join(root, REALS), path.join(root, 'moved'));
    fs.symlinkSync(outside, path.join(root, REALS));
    await expect(openInsideRoot(root, `${REALS}/001.mp4`)).rejects.toThrow(InvalidPath);
    await expect(openInsideRoot(root, `${REALS}/001.mp4`)).rejects.toThrow(/outside the dataset root/);
    // A link inside the root, to a file inside the root, opens; the open path reads that file's bytes.
    fs.writeFileSync(path.join(root, 'moved', 'real.bin'), 'inside');
    fs.symlinkSync(path.join(root, 'moved', 'real.bin'), path.join(root, 'inside-link.bin'));
    const f = await openInsideRoot(root, 'inside-link.bin');
    expect(fs.readFileSync(f.path, 'utf8')).toBe('inside');
    await f.close();
    await expect(openInsideRoot(root, 'nope.mp4')).rejects.toThrow(/cannot open nope\.mp4 under .* \(ENOENT\)/);
    await expect(openInsideRoot(path.join(dir, 'no-root'), 'x.mp4')).rejects.toThrow(/^dataset root not found: /);
  });
});
