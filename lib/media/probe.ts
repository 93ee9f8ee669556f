/**
 * probeVideo: the facts about a video that frame sampling needs, above all its true frame count T.
 * T comes from decoding (`-count_frames` → nb_read_frames), never from the container's `nb_frames` guess, so
 * that `sampleIndices(T, N)` and `readFrames` agree frame for frame (same decoder, same frames).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptVideo, FsfmError, InvalidConfig, InvalidPath } from '../errors.js';
import { defaultMediaOptions } from './options.js';
import { firstLine, runTool } from './tools.js';

export interface VideoInfo {
  path: string;
  /** Decoded frames: the exact T that frame indices refer to (demuxed packets when probed with countFrames: false). */
  frames: number;
  /** Demuxed packets of the video stream (equals `frames` for ordinary files). */
  packets: number;
  /** The container's frame count, when it states one; only a guess (edit lists, truncation). */
  containerFrames: number | null;
  /** avg_frame_rate (frames / duration) and r_frame_rate (the stream's base rate); they differ for VFR. */
  fps: { avg: number | null; r: number | null };
  /** Size of the decoded frames after rotation metadata is applied: the size readFrames returns unscaled. */
  widthPx: number;
  heightPx: number;
  /** Display rotation from the stream's metadata (ffmpeg applies it when decoding). */
  rotationDeg: number;
  durationS: number | null;
  codec: string;
  /** ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  container: string;
  /** First line of decoder errors seen while counting frames (a damaged but readable file), if any. */
  warning?: string;
}

export interface ProbeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Accept a file cut short (fewer packets than its container lists, with read errors) and report the frames
   * that do decode. Default false: such a file is a CorruptVideo. */
  allowTruncated?: boolean;
  /**
   * Decode the whole stream to count its frames (default true). False only demuxes (-count_packets, no decoding:
   * a fraction of the time) and `frames` is then the packet count, which equals the decoded count for ordinary
   * files; use it where the container's own count rules anyway (prepare: the reference's CAP_PROP_FRAME_COUNT).
   */
  countFrames?: boolean;
  /** With countFrames false: also demux the stream to count packets (default true). False reads the headers only,
   * and `frames` is then the container's own count (missing from some containers: count then). */
  countPackets?: boolean;
}

/** Formats ffmpeg reads as a single still image: a photo is not a video even though it decodes to one frame. */
const IMAGE_FORMAT = /(^|,)(image2|[a-z0-9]+_pipe)(,|$)/;

export async function probeVideo(path: string, options: ProbeOptions = {}): Promise<VideoInfo> {
  const absolute = await requireFile(path);
  const args = [
    '-hide_banner',
    '-v', 'error',
    '-select_streams', 'V:0', // capital V: skips attached cover pictures
    ...(options.countFrames === false ? [] : ['-count_frames']),
    ...(options.countFrames === false && options.countPackets === false ? [] : ['-count_packets']),
    '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,nb_read_frames,nb_read_packets,duration' +
      ':stream_side_data=rotation:stream_tags=rotate:format=duration,format_name',
    '-of', 'json',
    // The file: protocol stops names like "concat:a|b" or "http://..." from being read as other protocols.
    `file:${absolute}`,
  ];
  const result = await runTool('ffprobe', args, {
    timeoutMs: options.timeoutMs ?? defaultMediaOptions.probeTimeoutMs,
    signal: options.signal,
  });
  const reason = firstLine(result.stderr, absolute);
  if (result.code !== 0) {
    throw new CorruptVideo(`cannot read video ${path}: ${reason || `ffprobe exited with code ${result.code}`}`);
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(result.stdout) as FfprobeOutput;
  } catch (err) {
    throw new CorruptVideo(`cannot read video ${path}: ffprobe printed no JSON (${reason || 'no message'})`, {
      cause: err,
    });
  }
  const info = toVideoInfo(path, parsed, reason);
  // Fewer packets than the container lists, plus read errors: the file was cut (an interrupted download or copy).
  const truncated = info.warning !== undefined && info.containerFrames !== null && info.packets < info.containerFrames;
  if (truncated && !options.allowTruncated) {
    throw new CorruptVideo(
      `cannot read video ${path}: truncated, ${info.packets} of the ${info.containerFrames} frames its container ` +
        `lists are present (${info.warning})`,
    );
  }
  return info;
}

interface FfprobeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  nb_read_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string; format_name?: string };
}

function toVideoInfo(path: string, out: FfprobeOutput, stderrLine: string): VideoInfo {
  const container = out.format?.format_name ?? '';
  const stream = out.streams?.[0];
  if (!stream) {
    throw new CorruptVideo(`cannot read video ${path}: no video stream${container ? ` in ${container}` : ''}`);
  }
  if (IMAGE_FORMAT.test(container)) {
    throw new CorruptVideo(`cannot read video ${path}: it is a still image (${container}), not a video`);
  }
  const frames = toInt(stream.nb_read_frames) ?? toInt(stream.nb_read_packets) ?? toInt(stream.nb_frames);
  if (frames === null || frames < 1) {
    throw new CorruptVideo(`cannot read video ${path}: no decodable frames${stderrLine ? ` (${stderrLine})` : ''}`);
  }
  const width = stream.width ?? 0;
  const height = stream.height ?? 0;
  if (width < 1 || height < 1) throw new CorruptVideo(`cannot read video ${path}: unknown frame size`);
  const rotationDeg = rotationOf(stream);
  const quarterTurn = Math.abs(rotationDeg) % 180 === 90;
  const fps = { avg: toRate(stream.avg_frame_rate), r: toRate(stream.r_frame_rate) };
  const info: VideoInfo = {
    path,
    frames,
    packets: toInt(stream.nb_read_packets) ?? frames,
    containerFrames: toInt(stream.nb_frames),
    fps,
    widthPx: quarterTurn ? height : width,
    heightPx: quarterTurn ? width : height,
    rotationDeg,
    durationS: toFloat(out.format?.duration) ?? toFloat(stream.duration) ?? (fps.avg ? frames / fps.avg : null),
    codec: stream.codec_name ?? 'unknown',
    container,
  };
  if (stderrLine) info.warning = stderrLine;
  return info;
}

function rotationOf(stream: FfprobeStream): number {
  const fromSideData = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const raw = fromSideData ?? toFloat(stream.tags?.rotate) ?? 0;
  return Math.round(raw);
}

function toInt(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}

function toFloat(value: string | undefined): number | null {
  if (value === undefined) return null;
  const x = Number(value);
  return Number.isFinite(x) ? x : null;
}

/** "30000/1001" → 29.97; "0/0" (unknown) → null. */
function toRate(value: string | undefined): number | null {
  const m = value ? /^(\d+)\/(\d+)$/.exec(value) : null;
  if (!m || Number(m[2]) === 0 || Number(m[1]) === 0) return null;
  return Number(m[1]) / Number(m[2]);
}

/** A missing or non-regular path is the caller's input error, not a corrupt video. Returns the absolute path. */
export async function requireFile(path: string): Promise<string> {
  if (typeof path !== 'string' || path === '') throw new InvalidPath('video path is empty');
  const absolute = resolve(path);
  let info;
  try {
    info = await stat(absolute);
  } catch (err) {
    throw new InvalidPath(`video not found or unreadable: ${path} (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  if (!info.isFile()) throw new InvalidPath(`not a file: ${path}`);
  return absolute;
}

export type ProbeOutcome =
  | { path: string; ok: true; info: VideoInfo }
  | { path: string; ok: false; error: { type: string; message: string; retryable: boolean } };

/**
 * Probes many videos with bounded concurrency and records per-video failures (corrupt, missing, timed out)
 * instead of failing the batch. Setup errors (ffprobe missing: InvalidConfig) and aborts still throw, since every
 * further video would fail the same way. Results keep the input order.
 */
export async function probeVideos(
  paths: readonly string[],
  options: ProbeOptions & {
    concurrency?: number;
    onProgress?: (done: number, total: number, last: ProbeOutcome) => void;
  } = {},
): Promise<ProbeOutcome[]> {
  const results: ProbeOutcome[] = new Array(paths.length);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? defaultMediaOptions.probeConcurrency, paths.length));
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async () => {
    while (next < paths.length && !failed) {
      options.signal?.throwIfAborted();
      const i = next++;
      const path = paths[i];
      let outcome: ProbeOutcome;
      try {
        outcome = { path, ok: true, info: await probeVideo(path, options) };
      } catch (err) {
        if (!(err instanceof FsfmError) || err instanceof InvalidConfig) {
          failed = true;
          throw err;
        }
        outcome = { path, ok: false, error: { type: err.name, message: err.message, retryable: err.retryable } };
      }
      results[i] = outcome;
      options.onProgress?.(++done, paths.length, outcome);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
