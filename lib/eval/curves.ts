/**
 * Training curves as text lines, for the CLI and the evaluation report: pretraining losses by component and
 * finetuning's train and validation loss per epoch, so a reader sees whether a run learned at all.
 */

/** One logged pretraining step (lib/config's LossPoint). */
export interface PretrainCurvePoint {
  step: number;
  loss: number;
  lRec: number;
  lFr: number;
  lCl: number;
}

/** One finetuning epoch (lib/finetune's FinetuneEpochRecord). */
export interface FinetuneCurvePoint {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number | null;
}

export interface TrainingCurves {
  pretrain?: PretrainCurvePoint[];
  finetune?: FinetuneCurvePoint[];
}

/**
 * The pretraining losses by component, as means over (at most) eight equal stretches of the run: enough to see
 * whether each term fell. L_rec is MSE on normalised pixels (predicting zero scores about 1), L_fr the same on
 * the facial region, L_cl the negative cosine of online and target representations (-1 is perfect agreement).
 */
export function pretrainCurve(history: readonly PretrainCurvePoint[], buckets = 8): string[] {
  if (history.length === 0) return [];
  const n = Math.min(buckets, history.length);
  const lines = ['  pretrain curve (mean per stretch): steps | loss | L_rec | L_fr | L_cl'];
  for (let b = 0; b < n; b++) {
    const part = history.slice(Math.floor((b * history.length) / n), Math.floor(((b + 1) * history.length) / n));
    const mean = (f: (p: PretrainCurvePoint) => number) => (part.reduce((s, p) => s + f(p), 0) / part.length).toFixed(4);
    lines.push(`    ${part[0].step}-${part.at(-1)!.step} | ${mean((p) => p.loss)} | ${mean((p) => p.lRec)} | ${mean((p) => p.lFr)} | ${mean((p) => p.lCl)}`);
  }
  return lines;
}

/** Finetuning's train and validation loss per epoch (ln 2 = 0.693 is a classifier that has learnt nothing). */
export function finetuneCurve(history: readonly FinetuneCurvePoint[]): string[] {
  if (history.length === 0) return [];
  return [
    '  finetune curve: epoch (step) | train loss | val loss   (0.6931 = chance)',
    ...history.map((h) => `    ${h.epoch} (${h.step}) | ${h.trainLoss.toFixed(4)} | ${h.valLoss?.toFixed(4) ?? '-'}`),
  ];
}
