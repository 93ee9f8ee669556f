/**
 * DiFF's protocol (the reference's main_finetune_DiFF.py): train on one source, and after every epoch keep, for each
 * DiFF subset (T2I, I2I, FS, FE), the model with the lowest loss on that subset's val faces; each subset is then
 * tested with its own model. Here: the rule on synthetic losses, then a tiny run on random faces in DiFF's layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvaluateActivities } from '../../../activities/evaluate.js';
import { parseWorkflowInput } from '../../../lib/config/index.js';
import { reportedRule } from '../../../lib/eval/report.js';
import { evaluateTestSet } from '../../../lib/eval/score.js';
import { modelFor, perDomainTestSets } from '../../../workflows/evaluate.js';
import { loadClassifier, readBestPointer, type ModelSetMeta } from '../../../lib/finetune/checkpoint.js';
import { finetunePreset, parseFinetuneConfig, selectionLabel, selectsOnTarget } from '../../../lib/finetune/options.js';
import { improvedDomains, runFinetuning } from '../../../lib/finetune/train.js';
import type { ShardRecord } from '../../../lib/prepare/shards.js';
import { readSet } from '../../../lib/store/sets.js';
import { tempStore } from '../train/helpers.js';
import { writeFaceSet } from './face-set.js';
import { TINY_ARCH, lcg, useTestBackend } from './helpers.js';

const SUBSETS = ['T2I', 'I2I', 'FS', 'FE'];

describe('per-subset selection rule', () => {
  it('each subset keeps the epoch with its own lowest val loss (strictly lower replaces), whatever the others do', () => {
    // Epoch-by-subset val losses with a different best epoch per subset: T2I 2, I2I 0, FS 1, FE 3.
    const losses: Record<string, number>[] = [
      { T2I: 0.9, I2I: 0.2, FS: 0.8, FE: 0.7 },
      { T2I: 0.7, I2I: 0.5, FS: 0.3, FE: 0.7 },
      { T2I: 0.4, I2I: 0.6, FS: 0.3, FE: 0.6 },
      { T2I: 0.6, I2I: 0.2, FS: 0.9, FE: 0.1 },
    ];
    const best: Record<string, { valLoss: number; epoch: number }> = {};
    const improvedPerEpoch: string[][] = [];
    losses.forEach((valLossByDomain, epoch) => {
      const improved = improvedDomains({ valLossByDomain }, best);
      improvedPerEpoch.push(improved);
      for (const d of improved) best[d] = { valLoss: valLossByDomain[d], epoch };
    });
    expect(Object.fromEntries(SUBSETS.map((d) => [d, best[d].epoch]))).toEqual({ T2I: 2, I2I: 0, FS: 1, FE: 3 });
    // Ties keep the earlier model (FS at epoch 2, I2I at epoch 3), as `loss < min_val_loss` does.
    expect(improvedPerEpoch).toEqual([['T2I', 'I2I', 'FS', 'FE'], ['T2I', 'FS'], ['T2I', 'FE'], ['FE']]);
    // A NaN loss never selects.
    expect(improvedDomains({ valLossByDomain: { T2I: Number.NaN } }, {})).toEqual([]);
  });

  it('is a target-domain selection, labelled loudly, and needs no single targetDomain', () => {
    expect(selectsOnTarget('target-val-loss-per-domain')).toBe(true);
    expect(selectionLabel('target-val-loss-per-domain')).toMatch(/TARGET-DOMAIN SELECTION/);
    expect(selectionLabel('source-val-loss')).toBe('source-val-loss');
    const c = finetunePreset('diff', { selection: 'target-val-loss-per-domain', data: { prepared: ['p'], targetSplit: 'val', selectionDomains: SUBSETS } });
    expect(c.data.selectionDomains).toEqual(SUBSETS);
    expect(() => parseFinetuneConfig({ selection: 'target-val-loss', data: { prepared: ['p'] } })).toThrow(/needs data.targetDomain/);
  });
});

/** Random 32 px faces: 16 train faces without a domain (the source), and per subset 4 val and 4 test faces. */
function records(): ShardRecord[] {
  const rand = lcg(21);
  const face = (faceId: string, split: string, label: 'real' | 'fake', domain?: string): ShardRecord => ({
    faceId, dataset: domain ? 'diff' : 'src', videoId: faceId, label, split, group: faceId, frameIndex: 0,
    ...(domain ? { domain } : {}),
    sizePx: 32,
    // Fakes brighter on average, so the classifier has something to learn; in I2I the reals are the brighter ones,
    // so what helps the other subsets hurts I2I and its best epoch differs from theirs.
    image: Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rand() * 200) + ((label === 'fake') !== (domain === 'I2I') ? 55 : 0)),
    regionMap: new Uint8Array(0),
  });
  const out: ShardRecord[] = [];
  for (let i = 0; i < 16; i++) out.push(face(`src-${i}`, 'train', i % 2 ? 'fake' : 'real'));
  for (const d of SUBSETS) for (const split of ['val', 'test']) for (let i = 0; i < 4; i++) out.push(face(`${d}-${split}-${i}`, split, i % 2 ? 'fake' : 'real', d));
  return out;
}

describe('per-subset selection in a finetuning run', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    await writeFaceSet(ctx.store, 'prepared/diff', records());
  });
  afterAll(() => ctx?.cleanup());

  const config = (data: object = {}) => ({
    task: 'diff' as const,
    epochs: 3,
    warmupEpochs: 0.5,
    batchSize: 8,
    baseLr: 0.5,
    seed: 3,
    selection: 'target-val-loss-per-domain' as const,
    regularization: { mixupProb: 0 },
    model: { preset: 'demo', arch: TINY_ARCH },
    data: { prepared: ['prepared/diff'], targetSplit: 'val', ...data },
    tensor: { backend: 'wasm' as const },
  });

  it('keeps one model per subset, each from the epoch with that subset’s lowest val loss, and warns that it picks on target data', async () => {
    const logs: string[] = [];
    const r = await runFinetuning({ config: config(), store: ctx.store, runId: 'diff-sel', log: (l) => logs.push(l) });
    expect(logs.find((l) => l.includes('WARNING'))).toMatch(/WARNING selection 'target-val-loss-per-domain' picks one model per domain on target-domain faces \(FE, FS, I2I, T2I, split val\)/);
    expect(r.history).toHaveLength(3);
    for (const h of r.history) expect(Object.keys(h.valLossByDomain!).sort()).toEqual([...SUBSETS].sort());
    expect(Object.keys(r.bestByDomain!).sort()).toEqual([...SUBSETS].sort());
    // The inverted subset's best epoch is not the others' (so a single selection could not serve all four).
    expect(r.bestByDomain!.I2I.epoch).not.toBe(r.bestByDomain!.T2I.epoch);
    expect(r.bestByDomain!.I2I.key).not.toBe(r.bestByDomain!.T2I.key);
    for (const d of SUBSETS) {
      const losses = r.history.map((h) => h.valLossByDomain![d]);
      const epoch = losses.indexOf(Math.min(...losses));
      expect(r.bestByDomain![d].epoch, d).toBe(epoch);
      expect(r.bestByDomain![d].valLoss).toBe(losses[epoch]);
      // The subset's model is the weights of that epoch, recorded as a target-domain per-subset selection.
      const set = (await readSet<ModelSetMeta>(ctx.store, r.bestByDomain![d].key))!;
      expect(set.meta.epoch).toBe(epoch);
      expect(set.meta.selection).toBe('target-val-loss-per-domain');
      expect(set.meta.domains).toContain(d);
      const loaded = await loadClassifier(ctx.store, r.bestByDomain![d].key);
      loaded.model.dispose();
    }
    // The run's own model (best.json) is the lowest loss over all subsets' val faces pooled.
    const pooled = r.history.map((h) => h.valLoss!);
    expect(r.bestEpoch).toBe(pooled.indexOf(Math.min(...pooled)));
    expect((await readBestPointer(ctx.store, 'diff-sel'))!.prefix).toBe(r.bestKey);
  }, 120_000);

  it('Evaluate per subset: each subset’s test images scored with its own model, one row each, labelled as per-subset target selection', async () => {
    const r = await runFinetuning({ config: config(), store: ctx.store, runId: 'diff-eval' });
    const input = parseWorkflowInput('Evaluate', {
      model: r.bestKey,
      modelName: 'FSFM',
      modelsByDomain: Object.fromEntries(Object.entries(r.bestByDomain!).map(([d, b]) => [d, b.key])),
      testSets: [...SUBSETS.map((d) => ({ name: `DiFF-${d}`, prepared: 'prepared/diff', split: 'test', domain: d })), { name: 'all', prepared: 'prepared/diff', split: 'test' }],
    }) as Parameters<typeof modelFor>[0];
    for (const t of input.testSets) {
      const model = modelFor(input, t);
      expect(model).toBe(t.domain ? r.bestByDomain![t.domain].key : r.bestKey);
      const e = await evaluateTestSet({ store: ctx.store, runId: 'diff-eval', testSet: t.name, model, prepared: t.prepared, split: t.split, domain: t.domain, batchSize: 8, backend: 'wasm', evalOptions: { bootstrap: { replicates: 0 } } });
      // Image level: each image is its own group, 4 test images per subset.
      expect(e.rows).toBe(t.domain ? 4 : 16);
      expect(e.meta.domain).toBe(t.domain ?? null);
      expect(e.meta.selection).toBe('target-val-loss-per-domain');
      expect(e.metrics.video.n).toBe(e.metrics.frame.n);
    }
    // Per-subset by the input, even where a subset's selected epoch is the run's best (the same model key).
    const perDomain = perDomainTestSets(input);
    expect(perDomain).toEqual(SUBSETS.map((d) => `DiFF-${d}`));
    expect(perDomainTestSets({ ...input, modelsByDomain: Object.fromEntries(SUBSETS.map((d) => [d, r.bestKey!])) })).toEqual(perDomain);
    const report = await makeEvaluateActivities(ctx.store).writeEvaluationReport({ runId: 'diff-eval', modelName: 'FSFM', selection: 'source-val-loss', task: 'deepfake', testSets: input.testSets.map((t) => t.name), perDomain });
    const md = (await ctx.store.get(report.markdownKey)).toString();
    for (const d of SUBSETS) expect(md).toContain(`DiFF-${d}`);
    expect(md).toContain('Image level (one image per group, so video = frame figures): DiFF-T2I, DiFF-I2I, DiFF-FS, DiFF-FE, all.');
    // The caller said source-val-loss; the models' own records say otherwise, and the report follows them loudly.
    expect(md).toMatch(/target-per-domain \(cells marked †\): TARGET-DOMAIN SELECTION, per test subset/);
    expect(md).toMatch(/target \(cells marked †\): TARGET-DOMAIN SELECTION/);
    expect(md).not.toMatch(/source-val-loss/);
    const html = (await ctx.store.get(report.htmlKey)).toString();
    expect(html).toMatch(/class="selection-rule target-selection"/);
    // A face set without the domain says so.
    await expect(evaluateTestSet({ store: ctx.store, runId: 'diff-eval', testSet: 'none', model: r.bestKey!, prepared: 'prepared/diff', split: 'test', domain: 'X2Y', backend: 'wasm' })).rejects.toThrow(
      /no faces of domain 'X2Y' in split 'test'/,
    );
  }, 120_000);

  it('the report rule follows the model’s own record', () => {
    expect(reportedRule('source-val-loss', 'source-val-loss', false)).toBe('source-val-loss');
    expect(reportedRule('source-val-loss', 'target-hter', false)).toBe('target');
    expect(reportedRule('target', 'source-val-loss', false)).toBe('target');
    expect(reportedRule('source-val-loss', 'target-val-loss-per-domain', true)).toBe('target-per-domain');
    // Source-side rules other than the lowest val loss keep their own names (they were all reported as source-val-loss).
    expect(reportedRule('source-val-loss', 'source-hter', false)).toBe('source-hter');
    expect(reportedRule('source-val-loss', 'last', false)).toBe('last');
    expect(reportedRule('source-val-loss', 'checkpoint', false)).toBe('checkpoint');
    expect(reportedRule('target', 'last', false)).toBe('target');
  });

  it('a named subset without faces in the target split is a one-line error naming what exists', async () => {
    await expect(runFinetuning({ config: config({ selectionDomains: ['T2I', 'X2Y'] }), store: ctx.store, runId: 'diff-bad' })).rejects.toThrow(
      /no faces of domain X2Y in split 'val' outside training \(found: FE, FS, I2I, T2I\)/,
    );
  });
});
