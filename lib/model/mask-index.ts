/**
 * Index bookkeeping for "encode only the visible patches, then put them back" (MAE's ids_keep /
 * ids_restore), computed once per batch in plain JS from the 0/1 mask.
 *
 * Visible patches (mask 0) keep their index order, as the reference's argsort of the 0/1 mask does.
 * All rows here are global rows of a [N·L, D] (or [N·Lv, D]) matrix.
 */
import { InvalidConfig } from '../errors.js';

export interface MaskIndex {
  batch: number;
  numPatches: number;
  numVisible: number;
  /** [N·Lv]: row n·L + j of each visible patch j of sample n, in index order. */
  keepRows: Int32Array;
  /** [N·L]: the row among keepRows that patch row r went to, or -1 if hidden. */
  visibleRowOf: Int32Array;
  /** [N·L]: 1 where the patch is hidden (the reference's mask), else 0. */
  hidden: Float32Array;
}

/** mask: N·L values (row-major [N, L]), 1 = hidden. Every sample must hide the same number of patches. */
export function maskIndexFrom(mask: ArrayLike<number>, batch: number, numPatches: number): MaskIndex {
  if (mask.length !== batch * numPatches) {
    throw new InvalidConfig(`mask has ${mask.length} values; expected ${batch}×${numPatches}`);
  }
  const hidden = new Float32Array(batch * numPatches);
  let numVisible = -1;
  for (let n = 0; n < batch; n++) {
    let visible = 0;
    for (let j = 0; j < numPatches; j++) {
      const v = mask[n * numPatches + j];
      if (v !== 0 && v !== 1) throw new InvalidConfig(`mask values must be 0 or 1, got ${v}`);
      hidden[n * numPatches + j] = v;
      if (v === 0) visible++;
    }
    if (numVisible === -1) numVisible = visible;
    else if (visible !== numVisible) {
      throw new InvalidConfig(`every sample must show the same number of patches (sample 0: ${numVisible}, sample ${n}: ${visible})`);
    }
  }
  if (numVisible === 0) throw new InvalidConfig('mask hides every patch');
  const keepRows = new Int32Array(batch * numVisible);
  const visibleRowOf = new Int32Array(batch * numPatches).fill(-1);
  let k = 0;
  for (let r = 0; r < batch * numPatches; r++) {
    if (hidden[r] === 0) {
      visibleRowOf[r] = k;
      keepRows[k++] = r;
    }
  }
  return { batch, numPatches, numVisible, keepRows, visibleRowOf, hidden };
}

/** Nothing hidden: the target branch's full view. */
export function fullView(batch: number, numPatches: number): MaskIndex {
  return maskIndexFrom(new Float32Array(batch * numPatches), batch, numPatches);
}

/** The reference's ids_restore for sample n: position of patch j in [visible…, hidden…] order. */
export function idsRestore(index: MaskIndex, n: number): Int32Array {
  const L = index.numPatches;
  const out = new Int32Array(L);
  let vis = 0;
  let hid = index.numVisible;
  for (let j = 0; j < L; j++) out[j] = index.hidden[n * L + j] === 0 ? vis++ : hid++;
  return out;
}
