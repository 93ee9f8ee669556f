/** Patch masking for FSFM pretraining (fsfm-method.md §2). Pure TypeScript: no tensors here. */
export { MASKING_STRATEGIES, maskingOptionsSchema } from './options.js';
export type { MaskingOptions, MaskingOptionsInput, MaskingStrategy } from './options.js';
export { Masker, chooseCoveredGroup } from './masker.js';
export type { BatchMask, SampleMask } from './masker.js';
export { patchGrid, numMaskedPatches, roundHalfEven, roundHalfEvenRatio } from './grid.js';
export type { PatchGrid } from './grid.js';
export {
  COVERABLE_GROUPS,
  GROUP_LABELS,
  LAPA_LABELS,
  MAX_LAPA_LABEL,
  REGION_GROUPS,
  computePatchRegions,
  groupBit,
  groupIndex,
  groupSize,
} from './regions.js';
export type { CoverableGroup, PatchRegions, RegionGroup } from './regions.js';
export { Rng, rngStateSchema } from './rng.js';
export type { RngState } from './rng.js';
