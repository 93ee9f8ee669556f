/**
 * Options of the sample-dataset generator: one schema shared by generateSampleDataset, the CLI and the stamp.
 * Defaults give a dataset that `make demo` and the tests can build in well under a minute on 2 CPU cores.
 */
import { z } from 'zod';

/** The manipulations this generator can imitate (FF++ folder names). */
export const sampleMethods = ['Deepfakes', 'FaceSwap'] as const;
export const SampleMethod = z.enum(sampleMethods);
export type SampleMethod = z.infer<typeof SampleMethod>;

export const SampleDatasetOptions = z
  .object({
    /** The dataset folder to write (created when missing). */
    out: z.string().min(1),
    /** Drives the pairs, the splits and the camera paths; same seed, same bytes. */
    seed: z.number().int().min(0).max(0xffff_ffff).default(0),
    fps: z.number().int().min(1).max(60).default(15),
    seconds: z.number().positive().max(60).default(3),
    /** Width = height of every video. */
    sizePx: z.number().int().min(96).max(1024).multipleOf(2).default(256),
    /** Use only the first N identities (ids 000..N-1); default all the photos hold (19). */
    identities: z.number().int().min(2).optional(),
    methods: z.array(SampleMethod).min(1).default([...sampleMethods]),
    /** FF++ compression folder name; the videos are x264 at this CRF, as FF++ c23/c40 are. */
    compression: z.enum(['c23', 'c40']).default('c23'),
    /**
     * Render only the videos of these splits (identities, pairs and splits stay those of the whole set, so a c40
     * copy of the held-out split shares no identity or photo with the c23 train split); default all.
     */
    splits: z.array(z.enum(['train', 'val', 'test'])).min(1).optional(),
    /** Add a corrupt video (id 998) and a face-less one (id 999) as train reals, for failure-reporting tests. */
    extras: z.boolean().default(false),
    /** Folder with the source photos sample1.jpg .. sample6.jpg; default: @vladmandic/face-api's demo folder. */
    photosDir: z.string().min(1).optional(),
  })
  .strict();
export type SampleDatasetOptions = z.infer<typeof SampleDatasetOptions>;
export type SampleDatasetOptionsInput = z.input<typeof SampleDatasetOptions>;

/** Frames per video. */
export function frameCount(options: Pick<SampleDatasetOptions, 'fps' | 'seconds'>): number {
  return Math.max(1, Math.round(options.fps * options.seconds));
}

/**
 * Detections smaller than this (in photo pixels) are not identities: on the bundled photos the only one is a
 * 107 px shirt badge in sample1.jpg (score 0.12) that DLIB takes for a face; real faces there are >= 185 px.
 */
export const MIN_FACE_PX = 150;
