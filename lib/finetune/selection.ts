/**
 * What a checkpoint-selection rule means for the numbers it produces. Dependency-free: the CLI's summaries import it
 * without loading the training code.
 */

/** Whether a selection rule picks the model on target-domain data (reports must say so). */
export function selectsOnTarget(selection: string): boolean {
  return selection.startsWith('target');
}

/** The loud label of a selection wherever a result is shown: target-domain selections say so in capitals. */
export function selectionLabel(selection: string): string {
  return selectsOnTarget(selection) ? `${selection} — TARGET-DOMAIN SELECTION (picked on target-domain data; optimistic for cross-domain claims)` : selection;
}
