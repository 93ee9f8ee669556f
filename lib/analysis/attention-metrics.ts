/**
 * Attention statistics of a ViT encoder (supplement §B of the FSFM paper), on plain arrays so that they can be
 * checked by hand. One block's attention is `AttentionMaps`: probabilities [B, H, T, T] (row = query, column =
 * key, rows sum to 1) over T = prefixTokens + L tokens, the L patches in row-major order on a g×g grid.
 *
 * Definitions (what the tests check):
 * - **Mean attention distance** of head h (ViT paper, Dosovitskiy et al. 2021, Fig. 7): for a patch query q,
 *   d(q) = Σ_k a(q,k)·‖c_q − c_k‖ / Σ_k a(q,k), summed over patch keys k, where c is a patch centre in pixels
 *   ((col + ½)·p, (row + ½)·p). The result is the mean of d(q) over the L patch queries and the B images.
 *   CLS: it has no position, so it is neither a query nor a key here; the patch weights of each query are
 *   renormalised (otherwise attention to CLS would count as distance 0 and shrink the value).
 * - **KL divergence between heads** (as in "Revealing the Dark Secrets of MIM", Xie et al. 2022):
 *   KL(i‖j) = mean over the B images and all T queries q of Σ_k a_i(q,k)·(ln a_i(q,k) − ln a_j(q,k)), over all T
 *   keys (CLS included: each row is a full distribution), with probabilities clamped at 1e-12 before the log.
 *   `klPerHead[i]` = mean over j ≠ i of KL(i‖j); a block's value is the mean over all ordered pairs i ≠ j.
 * - **Mean attention map** of a block: the CLS query's attention to the patches, averaged over heads and
 *   renormalised over the patches (sum 1), one g×g map per image.
 * - **Attention rollout** (Abnar & Zuidema 2020), our CAM for finetuned detectors: R = Π_l norm(½·Ā_l + ½·I)
 *   over the blocks from first to last, Ā_l the head-averaged attention and norm() making rows sum to 1. The
 *   classifier heads read the mean of the patch tokens (DfD: fc_norm(mean); FAS: token 0 := that mean), so the
 *   map is the mean of R's patch rows over the patch columns, renormalised to sum 1. Gradient-free, so it needs
 *   no backward pass through a model that is only being inspected; it shows where the pooled feature draws
 *   from, not which class it favours (a gradient CAM would).
 */
import { InvalidConfig } from '../errors.js';

export interface AttentionMaps {
  /** [B, H, T, T] row-major. */
  data: Float32Array;
  batch: number;
  heads: number;
  tokens: number;
}

export interface PatchGeometry {
  /** Patches per side (g): L = g². */
  gridSize: number;
  patchSizePx: number;
  /** Tokens before the patches (1: CLS). */
  prefixTokens: number;
}

const KL_EPS = 1e-12;

function checkShape(maps: AttentionMaps, geometry?: PatchGeometry): void {
  const { data, batch, heads, tokens } = maps;
  if (data.length !== batch * heads * tokens * tokens) {
    throw new InvalidConfig(`attention maps hold ${data.length} values, not ${batch}×${heads}×${tokens}×${tokens}`);
  }
  if (geometry && geometry.prefixTokens + geometry.gridSize * geometry.gridSize !== tokens) {
    throw new InvalidConfig(`attention maps have ${tokens} tokens; a ${geometry.gridSize}² grid plus ${geometry.prefixTokens} prefix token(s) needs ${geometry.prefixTokens + geometry.gridSize ** 2}`);
  }
}

/** ‖c_q − c_k‖ in pixels between patch centres: [L·L], row-major (q, k). */
export function patchDistancesPx(gridSize: number, patchSizePx: number): Float64Array {
  const L = gridSize * gridSize;
  const out = new Float64Array(L * L);
  for (let q = 0; q < L; q++) {
    for (let k = 0; k < L; k++) {
      const dr = Math.floor(q / gridSize) - Math.floor(k / gridSize);
      const dc = (q % gridSize) - (k % gridSize);
      out[q * L + k] = Math.hypot(dr, dc) * patchSizePx;
    }
  }
  return out;
}

/** Mean attention distance per head, in pixels (definition above). */
export function meanAttentionDistancePx(maps: AttentionMaps, geometry: PatchGeometry): number[] {
  checkShape(maps, geometry);
  const { data, batch, heads, tokens } = maps;
  const { gridSize, patchSizePx, prefixTokens: p0 } = geometry;
  const L = gridSize * gridSize;
  const dist = patchDistancesPx(gridSize, patchSizePx);
  const out = new Array<number>(heads).fill(0);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const base = (b * heads + h) * tokens * tokens;
      let sum = 0;
      for (let q = 0; q < L; q++) {
        const row = base + (p0 + q) * tokens + p0;
        let weighted = 0;
        let mass = 0;
        for (let k = 0; k < L; k++) {
          const a = data[row + k];
          weighted += a * dist[q * L + k];
          mass += a;
        }
        sum += mass > 0 ? weighted / mass : 0;
      }
      out[h] += sum / L;
    }
  }
  return out.map((v) => v / batch);
}

/** KL(i‖j) for every ordered pair of heads: [H][H], zero diagonal (definition above). */
export function headKlMatrix(maps: AttentionMaps): number[][] {
  checkShape(maps);
  const { data, batch, heads, tokens } = maps;
  const out = Array.from({ length: heads }, () => new Array<number>(heads).fill(0));
  const logs = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) logs[i] = Math.log(Math.max(data[i], KL_EPS));
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < heads; i++) {
      for (let j = 0; j < heads; j++) {
        if (i === j) continue;
        const bi = (b * heads + i) * tokens * tokens;
        const bj = (b * heads + j) * tokens * tokens;
        let sum = 0;
        for (let e = 0; e < tokens * tokens; e++) {
          const a = Math.max(data[bi + e], KL_EPS);
          sum += a * (logs[bi + e] - logs[bj + e]);
        }
        out[i][j] += sum / tokens / batch;
      }
    }
  }
  return out;
}

/** Per head i: mean over j ≠ i of KL(i‖j). */
export function klPerHead(matrix: number[][]): number[] {
  const H = matrix.length;
  if (H < 2) return matrix.map(() => 0);
  return matrix.map((row, i) => row.reduce((s, v, j) => (j === i ? s : s + v), 0) / (H - 1));
}

/** Mean over the values (0 for none). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

/** The CLS query's attention to the patches, mean over heads, renormalised: one [L] map per image. */
export function meanClsAttentionMaps(maps: AttentionMaps, geometry: PatchGeometry): Float64Array[] {
  checkShape(maps, geometry);
  if (geometry.prefixTokens < 1) throw new InvalidConfig('the mean attention map needs a CLS token (prefixTokens ≥ 1)');
  const { data, batch, heads, tokens } = maps;
  const p0 = geometry.prefixTokens;
  const L = tokens - p0;
  const out: Float64Array[] = [];
  for (let b = 0; b < batch; b++) {
    const m = new Float64Array(L);
    for (let h = 0; h < heads; h++) {
      const row = (b * heads + h) * tokens * tokens; // query 0 = CLS
      for (let k = 0; k < L; k++) m[k] += data[row + p0 + k];
    }
    out.push(normalised(m));
  }
  return out;
}

/** Attention rollout over the blocks (first to last), read by the mean of the patch tokens: one [L] map per image. */
export function attentionRollout(blocks: readonly AttentionMaps[], geometry: PatchGeometry): Float64Array[] {
  if (blocks.length === 0) throw new InvalidConfig('attention rollout needs at least one block');
  const { batch, tokens } = blocks[0];
  for (const m of blocks) {
    checkShape(m, geometry);
    if (m.batch !== batch || m.tokens !== tokens) throw new InvalidConfig('attention rollout: blocks differ in batch or token count');
  }
  const T = tokens;
  const p0 = geometry.prefixTokens;
  const out: Float64Array[] = [];
  for (let b = 0; b < batch; b++) {
    let rollout = identity(T);
    for (const m of blocks) {
      const a = new Float64Array(T * T);
      const base = b * m.heads * T * T;
      for (let h = 0; h < m.heads; h++) for (let e = 0; e < T * T; e++) a[e] += m.data[base + h * T * T + e] / m.heads;
      for (let q = 0; q < T; q++) {
        a[q * T + q] += 1;
        let s = 0;
        for (let k = 0; k < T; k++) s += a[q * T + k];
        for (let k = 0; k < T; k++) a[q * T + k] /= s;
      }
      rollout = matMulSquare(a, rollout, T); // later block applied on top of the earlier ones
    }
    const map = new Float64Array(T - p0);
    for (let q = p0; q < T; q++) for (let k = p0; k < T; k++) map[k - p0] += rollout[q * T + k];
    out.push(normalised(map));
  }
  return out;
}

function normalised(v: Float64Array): Float64Array {
  let s = 0;
  for (const x of v) s += x;
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] /= s;
  return v;
}

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** a·b for n×n row-major matrices. */
function matMulSquare(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}
