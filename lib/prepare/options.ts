/**
 * Options of the prepare stage (frames per video, face crop, region maps, shards), with the paper's defaults
 * (datasets.md "Sampling defaults"). Frame counts depend on what the prepared faces are for: leave
 * `framesPerRealVideo` / `framesPerFakeVideo` unset to get the purpose's defaults from FRAMES_PER_VIDEO.
 */
import { z } from 'zod';
import { InvalidConfig } from '../errors.js';
import { faceOptionsSchema } from '../faces/options.js';

export const PREPARE_PURPOSES = ['pretrain', 'finetune', 'test', 'fas'] as const;
export type PreparePurpose = (typeof PREPARE_PURPOSES)[number];

/**
 * The paper's frames per video by purpose and label. Pretraining uses real faces only (0 fake frames: fake rows
 * are not prepared at all); DfD finetuning 128 real / 32 fake; testing 32 per video; FAS 2 per video.
 */
export const FRAMES_PER_VIDEO: Record<PreparePurpose, { real: number; fake: number }> = {
  pretrain: { real: 128, fake: 0 },
  finetune: { real: 128, fake: 32 },
  test: { real: 32, fake: 32 },
  fas: { real: 2, fake: 2 },
};

const frameCount = z.number().int().min(0).max(100_000);

export const prepareOptionsSchema = z.strictObject({
  purpose: z
    .enum(PREPARE_PURPOSES)
    .default('finetune')
    .describe('what the faces are for; picks the paper frame counts unless framesPer*Video are given'),
  framesPerRealVideo: frameCount
    .optional()
    .describe('frames sampled per real video (floor(linspace(0, T-1, N))); default by purpose: 128/128/32/2'),
  framesPerFakeVideo: frameCount
    .optional()
    .describe('frames sampled per fake video; 0 leaves fake rows out; default by purpose: 0/32/32/2'),
  face: faceOptionsSchema.prefault({}).describe('face detection, crop and region map options'),
  regionMaps: z.boolean().default(true).describe('derive a LaPa region map per face from its 68 landmarks'),
  imageFormat: z.enum(['png']).default('png').describe('storage format of face crops (lossless)'),
  shardSizeFaces: z.number().int().min(1).max(65_536).default(512).describe('faces per shard file'),
  framesInFlight: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe('frames of one video in face detection at once (DLIB runs on the libuv pool); output does not depend on it'),
});

export type PrepareOptions = z.output<typeof prepareOptionsSchema>;
export type PrepareOptionsInput = z.input<typeof prepareOptionsSchema>;
export const defaultPrepareOptions: PrepareOptions = prepareOptionsSchema.parse({});

export function parsePrepareOptions(options: PrepareOptionsInput | PrepareOptions = {}): PrepareOptions {
  const parsed = prepareOptionsSchema.safeParse(options);
  if (!parsed.success) throw new InvalidConfig(`invalid prepare options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** N for a row of this label: the explicit option, else the purpose's default. */
export function framesPerVideo(options: PrepareOptions, label: 'real' | 'fake'): number {
  const explicit = label === 'real' ? options.framesPerRealVideo : options.framesPerFakeVideo;
  return explicit ?? FRAMES_PER_VIDEO[options.purpose][label];
}
