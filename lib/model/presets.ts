import { InvalidConfig } from '../errors.js';

/**
 * Model sizes as data (timm-style registry). base/small/large follow the reference's
 * `fsfm_vit_*_patch16_dec512d8b` factories (pixel decoder 512-d, 8 blocks, 16 heads; representation
 * decoder 2 blocks, 16 heads, at the encoder's width) except where noted.
 */
export interface FsfmArch {
  imageSizePx: number;
  patchSizePx: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  /** Pixel decoder (online only). */
  decoderEmbedDim: number;
  decoderDepth: number;
  decoderNumHeads: number;
  /** Representation decoder; its width is always embedDim (its mask token is shared with the pixel decoder). */
  repDecoderDepth: number;
  repDecoderNumHeads: number;
  /** Projector/predictor MLPs (BYOL style). */
  projectionHiddenDim: number;
  projectionDim: number;
  mlpRatio: number;
  /** LayerNorm eps of the transformer blocks and final norms (projector/predictor LayerNorms use 1e-5). */
  normEps: number;
}

const paperHeads = { mlpRatio: 4, normEps: 1e-6, projectionHiddenDim: 4096, projectionDim: 256 } as const;
const paperDecoders = { decoderEmbedDim: 512, decoderDepth: 8, decoderNumHeads: 16, repDecoderDepth: 2, repDecoderNumHeads: 16 } as const;

export const FSFM_PRESETS = {
  /** ViT-Ti/16 encoder (timm's 192/12/3) with a light pixel decoder; not a size from the paper. */
  tiny: {
    imageSizePx: 224, patchSizePx: 16, embedDim: 192, depth: 12, numHeads: 3,
    decoderEmbedDim: 256, decoderDepth: 4, decoderNumHeads: 8, repDecoderDepth: 2, repDecoderNumHeads: 3,
    mlpRatio: 4, normEps: 1e-6, projectionHiddenDim: 1024, projectionDim: 256,
  },
  /** ViT-S/16. Heads 6 per the method notes (timm's ViT-S); the reference's small factory uses 12. */
  small: { imageSizePx: 224, patchSizePx: 16, embedDim: 384, depth: 12, numHeads: 6, ...paperDecoders, ...paperHeads },
  base: { imageSizePx: 224, patchSizePx: 16, embedDim: 768, depth: 12, numHeads: 12, ...paperDecoders, ...paperHeads },
  large: { imageSizePx: 224, patchSizePx: 16, embedDim: 1024, depth: 24, numHeads: 16, ...paperDecoders, ...paperHeads },
  /**
   * CPU demo: the paper's 14×14 grid (so the 196-patch masks carry over) on 112 px faces with 8 px patches,
   * narrow and shallow enough to train on 2 CPU cores. Head width 64 throughout: wasm's matMul is ~3× slower
   * at an inner size of 32 than at 64.
   */
  demo: {
    imageSizePx: 112, patchSizePx: 8, embedDim: 192, depth: 4, numHeads: 3,
    decoderEmbedDim: 128, decoderDepth: 2, decoderNumHeads: 2, repDecoderDepth: 2, repDecoderNumHeads: 3,
    mlpRatio: 4, normEps: 1e-6, projectionHiddenDim: 512, projectionDim: 128,
  },
} as const satisfies Record<string, FsfmArch>;

export type FsfmPresetName = keyof typeof FSFM_PRESETS;
export const FSFM_PRESET_NAMES = Object.keys(FSFM_PRESETS) as FsfmPresetName[];

export function gridSize(arch: FsfmArch): number {
  return arch.imageSizePx / arch.patchSizePx;
}

export function numPatches(arch: FsfmArch): number {
  return gridSize(arch) ** 2;
}

/** Throws InvalidConfig naming every inconsistency, else returns arch. */
export function validateArch(arch: FsfmArch): FsfmArch {
  const problems: string[] = [];
  if (arch.imageSizePx % arch.patchSizePx !== 0) problems.push('imageSizePx must be a multiple of patchSizePx');
  for (const [dim, heads, what] of [
    [arch.embedDim, arch.numHeads, 'encoder'],
    [arch.decoderEmbedDim, arch.decoderNumHeads, 'pixel decoder'],
    [arch.embedDim, arch.repDecoderNumHeads, 'representation decoder'],
  ] as const) {
    if (dim % heads !== 0) problems.push(`${what} width ${dim} is not divisible by ${heads} heads`);
  }
  if (arch.embedDim % 4 !== 0 || arch.decoderEmbedDim % 4 !== 0) problems.push('widths must be divisible by 4 (sin-cos embedding)');
  if (problems.length) throw new InvalidConfig(`invalid model architecture: ${problems.join('; ')}`);
  return arch;
}
