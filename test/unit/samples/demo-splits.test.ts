/**
 * `make demo` reports AUCs on "held-out identities": this checks that no face the demo evaluates on shares an
 * identity or a source photo with a face it pretrains or finetunes on, on the demo's own datasets (planned with
 * the real photos and DLIB, nothing rendered).
 */
import { describe, expect, it } from 'vitest';
import { demoHeldOutC40, demoPipelineInput, demoSource } from '../../../cli/demo-input.js';
import { pretrainPreset } from '../../../lib/train/options.js';
import { finetunePreset } from '../../../lib/finetune/options.js';
import { planSampleDataset, type SamplePlan } from '../../../samples/index.js';
import { pairIdentities } from '../../../samples/pairs.js';

type Split = 'train' | 'val' | 'test';

/** Identities (targets and sources) of the rendered videos of `splits`. */
function idsOf(plan: SamplePlan, splits: readonly Split[]): Set<string> {
  const ids = new Set<string>();
  for (const split of splits) {
    for (const pair of plan.pairing.splits[split]) if (plan.rendered(pair[0])) for (const id of pair) ids.add(id);
  }
  return ids;
}

function photosOf(plan: SamplePlan, ids: Set<string>): Set<string> {
  return new Set(plan.identities.filter((i) => ids.has(i.id)).map((i) => i.photo.name));
}

describe('the demo splits', () => {
  it('evaluate on identities and photos that pretraining and finetuning never see', async () => {
    const input = demoPipelineInput('/src', '/c40');
    const source = await planSampleDataset(demoSource('/tmp/unused'));
    const heldOut = await planSampleDataset(demoHeldOutC40('/tmp/unused'));

    // What training reads: the pretrain set's splits (the preset's default, the demo sets none) and finetune's.
    expect(input.datasets.pretrain.map((d) => d.dataset.root)).toEqual(['/src']);
    expect(input.datasets.train.dataset.root).toBe('/src');
    const pretrainSplits = pretrainPreset('demo').data.splits as Split[];
    const ft = finetunePreset('demo');
    const trainSide = idsOf(source, [...new Set<Split>([...pretrainSplits, ft.data.trainSplit as Split, ft.data.valSplit as Split])]);

    // What evaluation reads: the source's test split, and the c40 set restricted to the splits its spec keeps.
    const [c40] = input.datasets.test;
    expect(c40.dataset.root).toBe('/c40');
    const c40Splits = (c40.dataset.splits ?? ['train', 'val', 'test']) as Split[];
    const testSide = new Set([...idsOf(source, ['test']), ...idsOf(heldOut, c40Splits)]);

    expect(trainSide.size).toBeGreaterThanOrEqual(8);
    expect(testSide.size).toBeGreaterThanOrEqual(4);
    expect([...testSide].filter((id) => trainSide.has(id))).toEqual([]);
    // Same seed, same identities: an id means the same face in both sets.
    expect(heldOut.identities.map((i) => [i.id, i.photo.name])).toEqual(source.identities.map((i) => [i.id, i.photo.name]));
    const trainPhotos = photosOf(source, trainSide);
    const testPhotos = photosOf(source, testSide);
    expect([...testPhotos].filter((p) => trainPhotos.has(p))).toEqual([]);
    // The c40 set renders only held-out identities.
    for (const i of heldOut.identities) if (heldOut.rendered(i.id)) expect(testSide.has(i.id), i.id).toBe(true);
  }, 300_000);
});

describe('pairIdentities with photos', () => {
  const ids = Array.from({ length: 19 }, (_, k) => String(k).padStart(3, '0'));
  // The bundled photos hold 3, 1, 3, 3, 5 and 4 faces.
  const photos = [3, 1, 3, 3, 5, 4].flatMap((faces, p) => Array.from({ length: faces }, () => `photo${p + 1}`));

  it.each([0, 1, 2, 3, 4, 5, 6, 7])('seed %i: no photo in two splits, every split pairs within itself', (seed) => {
    const { splits, swaps } = pairIdentities(ids, seed, photos);
    const photoSplit = new Map<string, string>();
    for (const [split, pairs] of Object.entries(splits)) {
      expect(pairs.length, split).toBeGreaterThan(0);
      for (const id of pairs.flat()) {
        const photo = photos[Number(id)];
        expect(photoSplit.get(photo) ?? split, `${id} (${photo})`).toBe(split);
        photoSplit.set(photo, split);
      }
    }
    const splitOf = new Map(Object.entries(splits).flatMap(([split, pairs]) => pairs.flat().map((id) => [id, split] as const)));
    expect([...splitOf.keys()].sort()).toEqual(ids);
    for (const s of swaps) {
      expect(s.source).not.toBe(s.target);
      expect(splitOf.get(s.source), `${s.target}_${s.source}`).toBe(splitOf.get(s.target));
    }
    const size = (split: Split) => new Set(splits[split].flat()).size;
    expect(size('train')).toBeGreaterThan(size('test'));
    expect(size('train')).toBeGreaterThan(size('val'));
  });
});
