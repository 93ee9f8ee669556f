import { z } from 'zod';
import { storeKeySchema } from '../store/keys';

/** Input of the ProbeVideos workflow: probe every file under a folder on the worker's filesystem. */
export const ProbeVideosInput = z
  .object({
    videosDir: z.string().min(1).describe('Folder of videos, as the worker sees it (absolute, or relative to the worker\'s working directory)'),
    outputPrefix: storeKeySchema
      .optional()
      .describe('Store prefix for the manifest; default probes/<workflow id>'),
    recursive: z.boolean().default(true).describe('Descend into sub-folders'),
    concurrency: z.number().int().min(1).max(32).default(2).describe('ffprobe processes at once'),
  })
  .strict();
export type ProbeVideosInput = z.infer<typeof ProbeVideosInput>;

/** One line of the probe manifest (probe.jsonl). */
export interface ProbeRecord {
  path: string;
  ok: boolean;
  frames?: number;
  fps?: number | null;
  widthPx?: number;
  heightPx?: number;
  durationS?: number | null;
  codec?: string;
  error?: string;
}

export interface ProbeVideosResult {
  manifestPrefix: string;
  manifestKey: string;
  total: number;
  ok: number;
  failed: number;
  totalFrames: number;
  /** The first failures, with their reasons (all of them are in the manifest). */
  failures: Array<{ path: string; error: string }>;
}

export interface ProbeProgress {
  done: number;
  failed: number;
  total: number;
  current?: string;
}
