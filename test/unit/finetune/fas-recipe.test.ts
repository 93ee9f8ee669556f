/**
 * The FAS recipe end to end on a generated MCIO-layout sample: the MCIO adapter's manifest (domains from the folder
 * layout) -> a prepared face set (the sample's images are already face crops, so they are packed as they are) ->
 * runFinetuning with the `fas` preset shrunk to a few iterations: per-domain batches without the target domain,
 * validation with HTER every "epoch", HTER selection, and the loudly labelled target-domain selection.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../../../lib/datasets/index.js';
import { decodeImage } from '../../../lib/faces/index.js';
import { readBestPointer, readFinetuneCheckpoint } from '../../../lib/finetune/checkpoint.js';
import { finetunePreset, type FinetuneConfigInput } from '../../../lib/finetune/options.js';
import { runFinetuning } from '../../../lib/finetune/train.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { readSet } from '../../../lib/store/sets.js';
import { generateMcioSample } from '../../../samples/mcio.js';
import { tempStore } from '../train/helpers.js';
import { writeFaceSet } from './face-set.js';
import { TINY_ARCH, useTestBackend } from './helpers.js';

const SET = 'prepared/mcio';

function fas(overrides: FinetuneConfigInput = {}) {
  return finetunePreset('fas', {
    epochs: 2,
    checkpointEverySteps: 3,
    seed: 1,
    ...overrides,
    model: { preset: 'demo', arch: TINY_ARCH },
    data: { prepared: [SET], iterationsPerEpoch: 3, perDomain: { real: 2, fake: 2 }, targetDomain: 'oulu', ...overrides.data },
    tensor: { backend: 'wasm' },
  });
}

describe('FAS recipe on an MCIO-layout sample', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  let dir: string;
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    dir = await mkdtemp(path.join(tmpdir(), 'fsfm-mcio-'));
    const sample = await generateMcioSample({ outDir: dir, sizePx: 32, identities: 6 });
    expect(sample.counts.oulu.test).toEqual({ real: 4, fake: 4 });
    const manifest = await buildManifest({ root: dir });
    expect(manifest.format).toBe('mcio');
    const records: ShardRecord[] = [];
    for (const row of manifest.rows) {
      const image = await decodeImage(path.join(dir, row.path));
      records.push({
        faceId: row.id, dataset: row.dataset, videoId: row.group ?? row.id, label: row.label, split: row.split, group: row.group ?? row.id,
        frameIndex: 0, domain: row.domain, sizePx: image.widthPx, image: new Uint8Array(image.rgb), regionMap: new Uint8Array(0),
      });
    }
    await writeFaceSet(ctx.store, SET, records);
  }, 120_000);
  afterAll(async () => {
    await ctx?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('trains on the source domains only, 2 real + 2 fake from each per batch, validating HTER every 3 iterations', async () => {
    const logs: string[] = [];
    const r = await runFinetuning({ config: fas(), store: ctx.store, runId: 'fas-src', log: (l) => logs.push(l) });
    expect(r.status).toBe('completed');
    expect(r.step).toBe(6);
    expect(logs.join('\n')).toMatch(/per-domain batches of 12 from casia, msu, replay\b/);
    expect(logs.join('\n')).not.toMatch(/WARNING/);
    expect(r.history.map((h) => h.step)).toEqual([3, 6]);
    for (const h of r.history) {
      expect(h.valHter).toBeGreaterThanOrEqual(0);
      expect(h.valHter).toBeLessThanOrEqual(1);
      expect(h.valAuc).toBeGreaterThanOrEqual(0);
    }
    // HTER selection: the lowest HTER, the later epoch on a tie.
    const hters = r.history.map((h) => h.valHter!);
    const expectedEpoch = hters[1] <= hters[0] ? 1 : 0;
    expect(r.bestEpoch).toBe(expectedEpoch);
    const best = await readBestPointer(ctx.store, 'fas-src');
    const meta = (await readSet<{ selection: string; input: { task: string } }>(ctx.store, best!.prefix))!.meta;
    expect(meta.selection).toBe('source-hter');
    expect(meta.input.task).toBe('fas');
    // Adam's state is in the checkpoint, the lr was the constant 1e-4 throughout.
    const ckpt = await readFinetuneCheckpoint(ctx.store, r.lastKey!);
    expect(ckpt.state.config.optimizer).toBe('adam');
  }, 300_000);

  it('target-domain selection picks on the left-out domain and says so', async () => {
    const logs: string[] = [];
    const r = await runFinetuning({ config: fas({ selection: 'target-hter' }), store: ctx.store, runId: 'fas-tgt', log: (l) => logs.push(l) });
    expect(logs[0]).toMatch(/WARNING selection 'target-hter' picks the model on target-domain faces \(oulu, split test\)/);
    expect(r.history.every((h) => h.valHter !== undefined)).toBe(true);
    const best = await readBestPointer(ctx.store, 'fas-tgt');
    expect((await readSet<{ selection: string }>(ctx.store, best!.prefix))!.meta.selection).toBe('target-hter');
  }, 300_000);

  it('an unknown target domain is named with the known ones', async () => {
    await expect(runFinetuning({ config: fas({ data: { targetDomain: 'wmca' } }), store: ctx.store, runId: 'fas-bad' })).rejects.toThrow(
      /target domain 'wmca' is not among the prepared faces' domains \(casia, msu, oulu, replay\)/,
    );
  });
});
