/**
 * What the analysis keeps of a checkpoint's attention over a set of faces: per block and head the mean attention
 * distance (px) and the mean KL divergence to the other heads, plus one map per sample face (the last block's
 * mean CLS attention for pretrained encoders, attention rollout for finetuned detectors). Plain JSON.
 */
import type { ReconstructionSummary } from './reconstruction.js';
import { type AttentionMaps, type PatchGeometry, attentionRollout, headKlMatrix, klPerHead, meanAttentionDistancePx, meanClsAttentionMaps } from './attention-metrics.js';

export type MapKind = 'mean-attention' | 'rollout';

export const MAP_KIND_TEXT: Record<MapKind, string> = {
  'mean-attention': "last block's CLS attention to the patches, mean over heads",
  rollout: 'attention rollout (½A + ½I over all blocks) read by the mean patch token, the feature the classifier uses',
};

export interface FaceMap {
  faceId: string;
  /** The face as the model saw it, before normalisation: PNG, base64. */
  facePngBase64: string;
  /** [g·g] patch weights summing to 1, row-major. */
  map: number[];
}

export interface AttentionSummary {
  label: string;
  imageSizePx: number;
  gridSize: number;
  patchSizePx: number;
  faces: number;
  /** [block][head], pixels. */
  meanDistancePx: number[][];
  /** [block][head]: mean over the other heads of KL(head‖other), nats. */
  klPerHead: number[][];
  mapKind: MapKind;
  maps: FaceMap[];
  /** Pretrained checkpoints: masked input / reconstruction / original per masking strategy (supplement §F). */
  reconstructions?: ReconstructionSummary;
}

/** Running means over batches of one checkpoint's per-block attention. */
export class AttentionAccumulator {
  private distance: number[][] = [];
  private kl: number[][] = [];
  private faces = 0;

  constructor(private readonly geometry: PatchGeometry) {}

  /** blocks: one AttentionMaps per encoder block, all for the same batch of images. */
  add(blocks: readonly AttentionMaps[]): void {
    const n = blocks[0]?.batch ?? 0;
    if (n === 0) return;
    const total = this.faces + n;
    blocks.forEach((maps, b) => {
      const d = meanAttentionDistancePx(maps, this.geometry);
      const k = klPerHead(headKlMatrix(maps));
      this.distance[b] = d.map((v, h) => ((this.distance[b]?.[h] ?? 0) * this.faces + v * n) / total);
      this.kl[b] = k.map((v, h) => ((this.kl[b]?.[h] ?? 0) * this.faces + v * n) / total);
    });
    this.faces = total;
  }

  result(): { faces: number; meanDistancePx: number[][]; klPerHead: number[][] } {
    return { faces: this.faces, meanDistancePx: this.distance.map((r) => [...r]), klPerHead: this.kl.map((r) => [...r]) };
  }
}

/** The per-face maps of one batch: mean CLS attention of the last block, or rollout over all blocks. */
export function faceMaps(blocks: readonly AttentionMaps[], geometry: PatchGeometry, kind: MapKind): Float64Array[] {
  return kind === 'rollout' ? attentionRollout(blocks, geometry) : meanClsAttentionMaps(blocks[blocks.length - 1], geometry);
}
