/** Typed failures of the training loop (lib/errors.ts holds the shared ones). */
import { FsfmError } from '../errors.js';

/**
 * The total loss became NaN or ±Inf: the run cannot continue from this state, and a retry from the same
 * checkpoint would diverge the same way, so it is not retryable (fsfm-method.md §4).
 */
export class TrainingDiverged extends FsfmError {
  constructor(
    message: string,
    readonly step: number,
    readonly losses: { loss: number; lRec: number; lFr: number; lCl: number },
  ) {
    super(message, { retryable: false });
  }
}
