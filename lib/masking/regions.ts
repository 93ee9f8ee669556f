import { InvalidConfig } from '../errors.js';
import type { PatchGrid } from './grid.js';

/** LaPa label ids used by region maps (fsfm-method.md §1), shared with lib/faces. */
export { LAPA as LAPA_LABELS, MAX_LAPA_ID as MAX_LAPA_LABEL } from '../faces/lapa.js';
import { LAPA as LAPA_LABELS, MAX_LAPA_ID as MAX_LAPA_LABEL } from '../faces/lapa.js';

/** Region groups in the fixed order CRFR-P walks them (fsfm-method.md §2). */
export const REGION_GROUPS = ['brows', 'eyes', 'nose', 'mouth', 'boundary', 'hair', 'skin', 'background'] as const;
export type RegionGroup = (typeof REGION_GROUPS)[number];

/** The groups CRFR-P / CRFR-R may cover fully: never skin or background. */
export const COVERABLE_GROUPS = ['brows', 'eyes', 'nose', 'mouth', 'boundary', 'hair'] as const;
export type CoverableGroup = (typeof COVERABLE_GROUPS)[number];

/** Labels of each group; boundary is not a label set but skin ∧ (hair ∨ background) at patch level. */
export const GROUP_LABELS: Readonly<Record<Exclude<RegionGroup, 'boundary'>, readonly number[]>> = {
  brows: [2, 3],
  eyes: [4, 5],
  nose: [6],
  mouth: [7, 8, 9],
  hair: [10],
  skin: [1],
  background: [0],
};

export function groupIndex(group: RegionGroup): number {
  return REGION_GROUPS.indexOf(group);
}

/** Bit g of a patch's group bits is set when the patch belongs to REGION_GROUPS[g]. */
export function groupBit(group: RegionGroup): number {
  return 1 << groupIndex(group);
}

/**
 * Which labels and groups each patch touches. A patch belongs to a region when ANY of its
 * pixels carries the label, so one patch can be in several groups (the reference's max-pool).
 */
export interface PatchRegions {
  readonly grid: PatchGrid;
  /** [numPatches] bit k set ⇔ some pixel of the patch has LaPa label k */
  readonly labelBits: Uint16Array;
  /** [numPatches] bit g set ⇔ the patch belongs to REGION_GROUPS[g] */
  readonly groupBits: Uint8Array;
}

const SKIN = 1 << LAPA_LABELS.skin;
const HAIR_OR_BACKGROUND = (1 << LAPA_LABELS.hair) | (1 << LAPA_LABELS.background);
const LABEL_BITS_OF_GROUP: readonly number[] = REGION_GROUPS.map((g) =>
  g === 'boundary' ? 0 : GROUP_LABELS[g].reduce((bits, label) => bits | (1 << label), 0),
);
const BOUNDARY_BIT = groupBit('boundary');
const VALID_LABEL_BITS = (1 << (MAX_LAPA_LABEL + 1)) - 1;

/** Group bits of a patch from its label bits. */
export function groupBitsOfLabels(labelBits: number): number {
  let bits = 0;
  for (let g = 0; g < LABEL_BITS_OF_GROUP.length; g++) {
    if (labelBits & LABEL_BITS_OF_GROUP[g]) bits |= 1 << g;
  }
  if (labelBits & SKIN && labelBits & HAIR_OR_BACKGROUND) bits |= BOUNDARY_BIT;
  return bits;
}

/**
 * Patch-region membership in one pass over the map, without per-pixel allocation.
 * regionMap: [imageSizePx · imageSizePx] LaPa labels, row-major → labelBits, groupBits: [numPatches].
 * An int8 parser map can be passed as `new Uint8Array(int8.buffer, int8.byteOffset, int8.length)`.
 * `out` lets a caller reuse buffers across samples. Throws InvalidConfig for a wrong length or a
 * label outside 0..10 (another parser's label set would silently corrupt the groups).
 */
export function computePatchRegions(
  regionMap: Uint8Array,
  grid: PatchGrid,
  out?: { labelBits: Uint16Array; groupBits: Uint8Array },
): PatchRegions {
  const { imageSizePx, patchSizePx, patchesPerSide, numPatches } = grid;
  if (regionMap.length !== imageSizePx * imageSizePx) {
    throw new InvalidConfig(
      `region map has ${regionMap.length} labels, expected ${imageSizePx}×${imageSizePx} = ${imageSizePx * imageSizePx}`,
    );
  }
  const labelBits = out?.labelBits ?? new Uint16Array(numPatches);
  const groupBits = out?.groupBits ?? new Uint8Array(numPatches);
  if (labelBits.length !== numPatches || groupBits.length !== numPatches) {
    throw new InvalidConfig(`patch region buffers must hold ${numPatches} patches`);
  }
  labelBits.fill(0);

  const rawLabelsOr =
    patchSizePx % 4 === 0 && regionMap.byteOffset % 4 === 0
      ? orLabelBitsByWord(new Uint32Array(regionMap.buffer, regionMap.byteOffset, regionMap.length / 4), grid, labelBits)
      : orLabelBitsByByte(regionMap, grid, labelBits);

  let allBits = 0;
  for (let p = 0; p < numPatches; p++) {
    allBits |= labelBits[p];
    groupBits[p] = groupBitsOfLabels(labelBits[p]);
  }
  if (rawLabelsOr > 15 || (allBits & ~VALID_LABEL_BITS) !== 0) {
    throw new InvalidConfig(`region map contains a label outside LaPa's 0..${MAX_LAPA_LABEL}`);
  }
  return { grid, labelBits, groupBits };
}

/*
 * The two scans below OR `1 << label` of every pixel into its patch's label bits and return the OR
 * of the raw labels: `1 << label` wraps for labels ≥ 32, and any label ≥ 16 shows in bits 4+ of the
 * raw OR. Region maps are long runs of one label, so a pixel (or word) equal to the previous one
 * is skipped. Reading 4 pixels per Uint32 is ~4× faster (the bytes are OR-ed, so endianness does
 * not matter); the byte scan serves unaligned maps and patch sizes that are not multiples of 4.
 */
function orLabelBitsByWord(words: Uint32Array, grid: PatchGrid, labelBits: Uint16Array): number {
  const { imageSizePx, patchSizePx, patchesPerSide } = grid;
  const wordsPerPatchRow = patchSizePx / 4;
  let rawLabelsOr = 0;
  let i = 0;
  for (let y = 0; y < imageSizePx; y++) {
    const rowBase = Math.floor(y / patchSizePx) * patchesPerSide;
    for (let col = 0; col < patchesPerSide; col++) {
      let bits = 0;
      let prev = -1;
      for (const end = i + wordsPerPatchRow; i < end; i++) {
        const word = words[i];
        if (word === prev) continue;
        prev = word;
        const a = word & 0xff;
        const b = (word >>> 8) & 0xff;
        const c = (word >>> 16) & 0xff;
        const d = word >>> 24;
        bits |= (1 << a) | (1 << b) | (1 << c) | (1 << d);
        rawLabelsOr |= a | b | c | d;
      }
      labelBits[rowBase + col] |= bits;
    }
  }
  return rawLabelsOr;
}

function orLabelBitsByByte(regionMap: Uint8Array, grid: PatchGrid, labelBits: Uint16Array): number {
  const { imageSizePx, patchSizePx, patchesPerSide } = grid;
  let rawLabelsOr = 0;
  let i = 0;
  for (let y = 0; y < imageSizePx; y++) {
    const rowBase = Math.floor(y / patchSizePx) * patchesPerSide;
    for (let col = 0; col < patchesPerSide; col++) {
      let bits = 0;
      let prev = -1;
      for (const end = i + patchSizePx; i < end; i++) {
        const label = regionMap[i];
        if (label === prev) continue;
        prev = label;
        bits |= 1 << label;
        rawLabelsOr |= label;
      }
      labelBits[rowBase + col] |= bits;
    }
  }
  return rawLabelsOr;
}

/** Number of patches in a group. */
export function groupSize(regions: PatchRegions, group: RegionGroup): number {
  const bit = groupBit(group);
  let n = 0;
  for (let p = 0; p < regions.groupBits.length; p++) if (regions.groupBits[p] & bit) n++;
  return n;
}
