import { fixMaskedTotal, maskProportionally } from './crfr-p.js';
import type { MaskWork } from './work.js';

/**
 * FRP (facial-region proportional): every group hidden at the same ratio numMasked / numPatches,
 * i.e. CRFR-P's proportional step and fix-up with nothing covered; F stays empty.
 */
export function maskFrp(work: MaskWork): void {
  work.covered.fill(0);
  maskProportionally(work, -1, work.numMasked, work.numPatches);
  fixMaskedTotal(work);
}
