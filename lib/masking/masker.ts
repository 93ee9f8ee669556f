import { z } from 'zod';
import { InvalidConfig } from '../errors.js';
import { maskCrfrP } from './crfr-p.js';
import { maskCrfrR } from './crfr-r.js';
import { maskFaskingI } from './fasking-i.js';
import { maskFrp } from './frp.js';
import { numMaskedPatches, patchGrid, type PatchGrid } from './grid.js';
import { maskingOptionsSchema, type MaskingOptions, type MaskingOptionsInput, type MaskingStrategy } from './options.js';
import { maskRandom } from './random.js';
import { COVERABLE_GROUPS, computePatchRegions, groupBit, type CoverableGroup, type PatchRegions } from './regions.js';
import type { Rng } from './rng.js';
import type { MaskWork } from './work.js';

/** One sample's masking; every array is a view into its batch's buffers. */
export interface SampleMask {
  /** [numPatches] 1 = hidden from the encoder */
  readonly mask: Uint8Array;
  /** [numPatches] F, the fully covered region that L_fr weighs; all 0 for random, frp, fasking-i */
  readonly facialRegion: Uint8Array;
  /** [numVisible] indices of visible patches, ascending */
  readonly idsKeep: Int32Array;
  /**
   * [numPatches] idsRestore[p] = position of patch p in the sequence [visible ascending, hidden ascending],
   * so gathering that sequence with idsRestore puts tokens back in patch order (MAE's ids_restore).
   */
  readonly idsRestore: Int32Array;
}

/** A batch's masks, flat and row-major so they can become [B, N] / [B, K] tensors without copying. */
export interface BatchMask {
  readonly strategy: MaskingStrategy;
  /** The group covered for the whole batch (crfr-p, crfr-r); null for the other strategies. */
  readonly group: CoverableGroup | null;
  readonly batchSize: number;
  readonly numPatches: number;
  readonly numMasked: number;
  readonly numVisible: number;
  /** [batchSize · numPatches] */
  readonly mask: Uint8Array;
  /** [batchSize · numPatches] */
  readonly facialRegion: Uint8Array;
  /** [batchSize · numVisible] */
  readonly idsKeep: Int32Array;
  /** [batchSize · numPatches] */
  readonly idsRestore: Int32Array;
  readonly samples: readonly SampleMask[];
}

/**
 * Picks the batch's covered group uniformly among the coverable groups (never skin or background)
 * that are non-empty in at least one sample of the batch; uniformly among all six when none is.
 * The reference draws among all six blindly; with landmark-derived maps that lack hair, that would
 * give a batch whose F is empty everywhere and an L_fr of 0/0. Draws exactly one number from rng.
 */
export function chooseCoveredGroup(regions: readonly PatchRegions[], rng: Rng): CoverableGroup {
  const present: CoverableGroup[] = [];
  for (const group of COVERABLE_GROUPS) {
    const bit = groupBit(group);
    if (regions.some((r) => r.groupBits.some((bits) => (bits & bit) !== 0))) present.push(group);
  }
  const pool = present.length > 0 ? present : COVERABLE_GROUPS;
  return pool[rng.nextInt(pool.length)];
}

/**
 * Turns region maps into patch masks for one configuration. Holds the grid and scratch buffers,
 * so masking a batch allocates only its outputs (and the patch membership, unless given).
 */
export class Masker {
  readonly options: MaskingOptions;
  readonly grid: PatchGrid;
  readonly numMasked: number;
  readonly numVisible: number;

  private readonly candidates: Int32Array;
  private readonly covered: Uint8Array;

  constructor(options: MaskingOptionsInput = {}) {
    const parsed = maskingOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new InvalidConfig(`invalid masking options:\n${z.prettifyError(parsed.error)}`);
    }
    this.options = parsed.data;
    this.grid = patchGrid(this.options.imageSizePx, this.options.patchSizePx);
    this.numMasked = numMaskedPatches(this.options.maskRatio, this.grid.numPatches);
    this.numVisible = this.grid.numPatches - this.numMasked;
    this.candidates = new Int32Array(this.grid.numPatches);
    this.covered = new Uint8Array(this.grid.numPatches);
  }

  /** regionMap: [imageSizePx²] LaPa labels → patch-region membership (one pass over the map). */
  patchRegions(regionMap: Uint8Array): PatchRegions {
    return computePatchRegions(regionMap, this.grid);
  }

  /**
   * Masks a batch: one group choice for the whole batch (crfr-p, crfr-r), then each sample in
   * order, all randomness from `rng`. `coverGroup` fixes the group instead of drawing it (no draw).
   */
  maskBatch(regionMaps: readonly Uint8Array[], rng: Rng, opts: { coverGroup?: CoverableGroup } = {}): BatchMask {
    return this.maskRegions(
      regionMaps.map((m) => this.patchRegions(m)),
      rng,
      opts,
    );
  }

  /** maskBatch for membership already computed (e.g. cached next to the faces). */
  maskRegions(regions: readonly PatchRegions[], rng: Rng, opts: { coverGroup?: CoverableGroup } = {}): BatchMask {
    const { strategy } = this.options;
    const { numPatches } = this.grid;
    for (const r of regions) {
      if (r.groupBits.length !== numPatches) {
        throw new InvalidConfig(`patch regions hold ${r.groupBits.length} patches, masker expects ${numPatches}`);
      }
    }
    const covers = strategy === 'crfr-p' || strategy === 'crfr-r';
    if (opts.coverGroup !== undefined && !(COVERABLE_GROUPS as readonly string[]).includes(opts.coverGroup)) {
      throw new InvalidConfig(`coverGroup must be one of ${COVERABLE_GROUPS.join(', ')}, got ${opts.coverGroup}`);
    }
    const group = covers ? (opts.coverGroup ?? chooseCoveredGroup(regions, rng)) : null;

    const batchSize = regions.length;
    const { numVisible } = this;
    const mask = new Uint8Array(batchSize * numPatches);
    const facialRegion = new Uint8Array(batchSize * numPatches);
    const idsKeep = new Int32Array(batchSize * numVisible);
    const idsRestore = new Int32Array(batchSize * numPatches);
    const samples: SampleMask[] = [];

    for (let b = 0; b < batchSize; b++) {
      const sample: SampleMask = {
        mask: mask.subarray(b * numPatches, (b + 1) * numPatches),
        facialRegion: facialRegion.subarray(b * numPatches, (b + 1) * numPatches),
        idsKeep: idsKeep.subarray(b * numVisible, (b + 1) * numVisible),
        idsRestore: idsRestore.subarray(b * numPatches, (b + 1) * numPatches),
      };
      const work: MaskWork = {
        regions: regions[b],
        numPatches,
        numMasked: this.numMasked,
        rng,
        mask: sample.mask,
        facialRegion: sample.facialRegion,
        candidates: this.candidates,
        covered: this.covered,
      };
      switch (strategy) {
        case 'crfr-p':
          maskCrfrP(work, group!);
          break;
        case 'crfr-r':
          maskCrfrR(work, group!);
          break;
        case 'random':
          maskRandom(work);
          break;
        case 'frp':
          maskFrp(work);
          break;
        case 'fasking-i':
          maskFaskingI(work);
          break;
      }
      fillIds(sample, numVisible);
      samples.push(sample);
    }
    return {
      strategy,
      group,
      batchSize,
      numPatches,
      numMasked: this.numMasked,
      numVisible,
      mask,
      facialRegion,
      idsKeep,
      idsRestore,
      samples,
    };
  }
}

function fillIds(sample: SampleMask, numVisible: number): void {
  const { mask, idsKeep, idsRestore } = sample;
  let visible = 0;
  let hidden = numVisible;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] === 0) {
      if (visible === numVisible) throw new Error(`masking produced more than ${numVisible} visible patches`);
      idsKeep[visible] = p;
      idsRestore[p] = visible++;
    } else {
      idsRestore[p] = hidden++;
    }
  }
  if (visible !== numVisible) throw new Error(`masking produced ${visible} visible patches, expected ${numVisible}`);
}
