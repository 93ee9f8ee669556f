/** Options of the media layer (decoding limits). Frame counts per video belong to the prepare stage's options. */
import { z } from 'zod';

export const MediaOptions = z.strictObject({
  /** ffprobe decodes the whole video to count its frames exactly; a long 1080p video takes tens of seconds. */
  probeTimeoutMs: z.number().int().positive().default(300_000),
  /** readFrames fails when ffmpeg produces no bytes for this long while we wait for the next frame. */
  stallTimeoutMs: z.number().int().positive().default(120_000),
  /** Decoder threads per ffmpeg process; 0 lets ffmpeg choose (all cores). Workers running several decodes
   * at once should set 1 or 2 so processes do not oversubscribe the CPU. */
  decodeThreads: z.number().int().min(0).default(0),
  /** How many ffprobe processes `probeVideos` runs at once. */
  probeConcurrency: z.number().int().positive().default(2),
});
export type MediaOptions = z.infer<typeof MediaOptions>;
export const defaultMediaOptions: MediaOptions = MediaOptions.parse({});
