/**
 * What the option modules share (lib/train/options.ts, lib/finetune/options.ts, lib/config): presets as partial
 * inputs merged with a caller's overrides, parsing that names every problem in one InvalidConfig, and the options
 * and checks both trainings have.
 */
import { z } from 'zod';
import { InvalidConfig } from './errors.js';

/** Readable one-line-per-problem message: "videosDir: expected string, received undefined"; `whole` names the root. */
export function formatIssues(error: z.ZodError, whole = '(input)'): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : whole}: ${i.message}`).join('; ');
}

/** Parses `input` with `schema`; throws InvalidConfig("invalid <what>: <every issue>"). */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new InvalidConfig(`invalid ${what}: ${formatIssues(r.error, '(config)')}`);
  return r.data;
}

/**
 * A preset with overrides on top: top-level keys are replaced, and each option group in `groups` (model, data, …) is
 * merged one level deep, so `{ model: { dropPathRate: 0 } }` keeps the preset's model.preset. Other objects (e.g.
 * finetuning's `init`) are replaced whole.
 */
export function mergePreset<T extends object>(preset: T, overrides: T, groups: readonly (keyof T)[]): T {
  const merged = { ...preset, ...overrides } as Record<string, unknown>;
  for (const key of groups) {
    if (preset[key] || overrides[key]) merged[key as string] = { ...(preset[key] as object), ...(overrides[key] as object) };
  }
  return merged as T;
}

/** A training seed (a 31-bit integer, as the reference's); each training says what it seeds. */
export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1)
  .default(0);

/** The step cap of pretraining and finetuning. */
export const maxStepsSchema = z
  .number()
  .int()
  .positive()
  .nullable()
  .default(null)
  .describe('stop (with a checkpoint) once this many optimizer steps are done; schedules still span all epochs');

/** The schedule checks of both trainings: the warmup ends before the run does, and the floor lr is under the peak. */
export function checkSchedule(o: { epochs: number; warmupEpochs: number; minLr: number }, peakLr: number, ctx: z.RefinementCtx): void {
  if (o.warmupEpochs >= o.epochs) {
    ctx.addIssue({ code: 'custom', path: ['warmupEpochs'], message: `warmupEpochs (${o.warmupEpochs}) must be below epochs (${o.epochs})` });
  }
  if (o.minLr > peakLr) {
    ctx.addIssue({ code: 'custom', path: ['minLr'], message: `minLr (${o.minLr}) is above the peak lr (${peakLr})` });
  }
}
