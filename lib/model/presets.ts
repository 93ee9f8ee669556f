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
  /**
   * Patch embedding (patch-embed.ts): `linear` (ViT, the default) or `conv`, the linear embedding plus a per-patch
   * stem of two 3×3 convolutions with `stemChannels` channels (default 16).
   */
  patchEmbed?: 'linear' | 'conv';
  stemChannels?: number;
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
  /**
   * ViT-S/16 as the reference builds it (models_fsfm.fsfm_vit_small_patch16 and models_vit.vit_small_patch16,
   * "ViT-small in MoCo v3/DINO"): 12 heads of width 32, not timm's 6. The released FS-VFM ViT-S weights use 12.
   */
  small: { imageSizePx: 224, patchSizePx: 16, embedDim: 384, depth: 12, numHeads: 12, ...paperDecoders, ...paperHeads },
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

/** A preset with per-field overrides, validated (no TF.js here: lib/config and the CLI resolve architectures too). */
export function resolveArch(options: { preset: string; arch?: Partial<FsfmArch> }): FsfmArch {
  const base = (FSFM_PRESETS as Record<string, FsfmArch>)[options.preset];
  if (!base) throw new InvalidConfig(`unknown model preset ${JSON.stringify(options.preset)}; one of: ${FSFM_PRESET_NAMES.join(', ')}`);
  return validateArch({ ...base, ...options.arch });
}

/**
 * The fields that decide what an encoder computes. Weights alone cannot tell them apart: 6 and 12 heads over
 * 384 channels have the same shapes, so a checkpoint records them and loading checks them.
 */
export const ENCODER_ARCH_FIELDS = ['imageSizePx', 'patchSizePx', 'embedDim', 'depth', 'numHeads', 'mlpRatio', 'patchEmbed', 'stemChannels'] as const;
export type EncoderArch = Pick<FsfmArch, (typeof ENCODER_ARCH_FIELDS)[number]>;

export function encoderArch(arch: FsfmArch): EncoderArch {
  // The patch embedding is always stated (a conv-stem checkpoint must not load into a linear model unnoticed);
  // the stem width only for a stem.
  const kind = arch.patchEmbed ?? 'linear';
  const fields = ENCODER_ARCH_FIELDS.filter((f) => f !== 'stemChannels' || kind === 'conv');
  return { ...Object.fromEntries(fields.map((f) => [f, arch[f]])), patchEmbed: kind, ...(kind === 'conv' ? { stemChannels: arch.stemChannels ?? 16 } : {}) } as EncoderArch;
}

/** "ViT 384 wide, 12 blocks, 12 heads, MLP ×4, patch 16 at 224 px" (only the fields known). */
export function describeEncoder(a: Partial<EncoderArch>): string {
  const parts = [
    a.embedDim !== undefined ? `${a.embedDim} wide` : null,
    a.depth !== undefined ? `${a.depth} blocks` : null,
    a.numHeads !== undefined ? `${a.numHeads} heads` : null,
    a.mlpRatio !== undefined ? `MLP ×${a.mlpRatio}` : null,
    a.patchSizePx !== undefined ? `patch ${a.patchSizePx}` : null,
    a.patchEmbed === 'conv' ? `conv stem ×${a.stemChannels ?? 16}` : null,
    a.imageSizePx !== undefined ? `at ${a.imageSizePx} px` : null,
  ].filter((x) => x !== null);
  return `ViT ${parts.join(', ')}`;
}

/**
 * Fails (InvalidConfig, naming both architectures) when weights recorded as `found` are loaded into a model built
 * as `expected`. Only the fields both sides know are compared (a reference .pth names its encoder, not its decoders).
 */
export function assertSameArch(expected: Partial<FsfmArch>, found: Partial<FsfmArch>, names: { model: string; source: string }): void {
  const keys = Object.keys(found) as (keyof FsfmArch)[];
  const differs = keys.filter((f) => expected[f] !== undefined && found[f] !== undefined && found[f] !== expected[f]);
  if (!differs.length) return;
  throw new InvalidConfig(
    `${names.source} holds a ${describeEncoder(found)} model but ${names.model} is a ${describeEncoder(expected)} ` +
      `(${differs.map((f) => `${f} ${found[f]} vs ${expected[f]}`).join(', ')}); set model.preset/arch to match the weights`,
  );
}

const REFERENCE_SIZES: Record<string, Pick<FsfmArch, 'embedDim' | 'depth' | 'numHeads'>> = {
  small: { embedDim: 384, depth: 12, numHeads: 12 },
  base: { embedDim: 768, depth: 12, numHeads: 12 },
  large: { embedDim: 1024, depth: 24, numHeads: 16 },
  huge: { embedDim: 1280, depth: 32, numHeads: 16 },
};

/**
 * The encoder of a reference model name (`args.model` of its .pth checkpoints: fsfm_vit_base_patch16,
 * vit_small_patch16, fsfm_vit_large_patch16_dec512d8b, …) and `args.input_size`; null for a name it does not know.
 */
export function referenceEncoderArch(modelName: string, inputSizePx?: number): Partial<EncoderArch> | null {
  const m = /vit_(small|base|large|huge)_patch(\d+)/.exec(modelName);
  if (!m) return null;
  const arch: Partial<EncoderArch> = { ...REFERENCE_SIZES[m[1]], patchSizePx: Number(m[2]), mlpRatio: 4 };
  if (inputSizePx !== undefined) arch.imageSizePx = inputSizePx;
  return arch;
}

/** The architecture as recorded in safetensors metadata (string values only). */
export const ARCH_METADATA_KEY = 'fsfm_arch';

export function archMetadata(arch: FsfmArch): Record<string, string> {
  return { [ARCH_METADATA_KEY]: JSON.stringify(arch) };
}

export function archFromMetadata(metadata: Record<string, string>): Partial<FsfmArch> | null {
  const raw = metadata[ARCH_METADATA_KEY];
  if (raw === undefined) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' ? (v as Partial<FsfmArch>) : null;
  } catch {
    throw new InvalidConfig(`safetensors metadata ${ARCH_METADATA_KEY} is not JSON: ${raw.slice(0, 80)}`);
  }
}
