// Signal names and payloads shared by workflows and activities; no imports, so the workflow bundle stays light.
/**
 * What a running training activity reports to its workflow (signal TRAINING_PROGRESS_SIGNAL), so that the
 * workflow's `progress` query shows the live step, loss and ETA between chunk results. The workflow cannot read
 * heartbeats; this signal carries the same facts, at most once per `progressIntervalS` (the first step of an
 * attempt always), and a report older than what the workflow already shows is ignored.
 */
export const TRAINING_PROGRESS_SIGNAL = 'trainingProgress';

export interface TrainingProgressReport {
  step: number;
  totalSteps: number;
  /** Mean loss of the step; null when not finite. */
  loss: number | null;
  checkpointKey: string | null;
  /** Wall seconds per optimizer step over this attempt so far (null after its first step). */
  secondsPerStep: number | null;
}
