/**
 * Decoding chosen frames: ONE ffmpeg process per video whose `select` filter keeps only the requested frame
 * numbers, with passthrough timing (no frame dropped or duplicated to fit a rate), PPM (= rgb24 + a size header)
 * to a pipe. Frames stream out as an async iterator with backpressure, so a long video never sits in memory.
 * Measured (toolchain.md): 292 ms for 32 frames of a 10 s 640×480 H.264 video, byte-identical to a full decode.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptVideo, InvalidConfig, TransientError } from '../errors.js';
import { defaultMediaOptions } from './options.js';
import { PpmStreamParser } from './ppm.js';
import { requireFile } from './probe.js';
import { firstLine, passthroughFlags, startTool, TailBuffer, waitForExit, type ToolChild } from './tools.js';

export interface Frame {
  /** Frame number in decode (presentation) order, 0-based: the index that was requested. */
  index: number;
  /** [heightPx, widthPx, 3] uint8, row-major RGB. */
  rgb: Buffer;
  widthPx: number;
  heightPx: number;
}

export interface ReadFramesOptions {
  /** Output size; give one side to keep the aspect ratio. Default: the decoded (autorotated) size. */
  widthPx?: number;
  heightPx?: number;
  /** swscale algorithm for resizing (the reference resizes crops bicubically). */
  scaleAlgorithm?: 'bicubic' | 'bilinear' | 'area' | 'lanczos' | 'neighbor';
  /** The video's frame count T, when known (probeVideo): indices >= T are rejected before decoding. */
  frameCount?: number;
  /** Fail when ffmpeg produces nothing for this long while a frame is awaited. */
  stallTimeoutMs?: number;
  decodeThreads?: number;
  signal?: AbortSignal;
  /**
   * A stream that breaks (cut short, undecodable tail, ffmpeg failing after some frames) ends the output early
   * instead of throwing: the frames that decoded are yielded and `onTruncated` hears why the rest are missing.
   * Default false: CorruptVideo after the frames that came.
   */
  allowTruncated?: boolean;
  onTruncated?: (reason: string) => void;
}

// Linux caps one argument at 128 KiB (MAX_ARG_STRLEN) and Windows a whole command line at 32 Ki characters;
// a longer filter goes through a script file instead.
export const MAX_INLINE_FILTER_CHARS = 8 * 1024;

/**
 * Yields the frames at `indices` in ascending index order, one per distinct index. Throws CorruptVideo when
 * ffmpeg fails or when fewer frames come out than were requested (a truncated stream), after yielding those
 * that came, unless options.allowTruncated. Breaking out of the loop early stops ffmpeg.
 */
export async function* readFrames(
  path: string,
  indices: readonly number[],
  options: ReadFramesOptions = {},
): AsyncGenerator<Frame> {
  const wanted = normalizeIndices(indices, options.frameCount);
  if (wanted.length === 0) return;
  const runs = toRuns(wanted);
  let count = 0;
  if (runs.length <= MAX_SELECT_RUNS) {
    const filter = [`select='${selectExpression(wanted)}'`, scaleFilter(options)].filter(Boolean).join(',');
    for await (const image of decode(path, filter, wanted.length, options)) yield { index: wanted[count++], ...image };
  } else {
    // So many separate runs that evaluating the select expression on every frame would cost more than
    // converting every frame up to the last wanted one and dropping the unwanted ones here.
    let n = 0;
    for await (const image of decode(path, scaleFilter(options), wanted.at(-1)! + 1, options)) {
      if (wanted[count] === n++) {
        yield { index: wanted[count++], ...image };
      }
    }
  }
  if (count < wanted.length) {
    const reason =
      `video ${path} ended after ${count} of ${wanted.length} requested frames (last requested index ` +
      `${wanted.at(-1)}): the stream is truncated or shorter than its frame count`;
    if (!options.allowTruncated) throw new CorruptVideo(reason);
    options.onTruncated?.(reason);
  }
}

/** Decodes every frame (tests and benchmarks: the reference that readFrames must match byte for byte). */
export async function* readAllFrames(path: string, options: ReadFramesOptions = {}): AsyncGenerator<Frame> {
  let index = 0;
  for await (const image of decode(path, scaleFilter(options), undefined, options)) yield { index: index++, ...image };
}

/** Sorted distinct non-negative integers; rejects indices past a known frame count. */
export function normalizeIndices(indices: readonly number[], frameCount?: number): number[] {
  for (const i of indices) {
    if (!Number.isSafeInteger(i) || i < 0) throw new InvalidConfig(`frame index must be a non-negative integer: ${i}`);
    if (frameCount !== undefined && i >= frameCount) {
      throw new InvalidConfig(`frame index ${i} is past the video's last frame (${frameCount} frames)`);
    }
  }
  return [...new Set(indices)].sort((a, b) => a - b);
}

/** Above this many runs readFrames filters in Node instead of in ffmpeg's select (see readFrames). */
export const MAX_SELECT_RUNS = 2000;

/** Sorted distinct indices as [first, last] runs of consecutive frames. */
function toRuns(sorted: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const i of sorted) {
    const last = runs.at(-1);
    if (last && i === last[1] + 1) last[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

/**
 * The select expression for sorted distinct indices: `eq(n,3)` per single frame, `between(n,10,12)` per run of
 * consecutive frames (so "all frames of a short video" is one term), summed as a BALANCED tree of parentheses:
 * ffmpeg's expression parser rejects a flat sum of more than 100 terms (its nesting limit is ~100), which the
 * paper's 128 frames per video would exceed. Depth here grows with log2 of the run count.
 */
export function selectExpression(sorted: readonly number[]): string {
  const terms = toRuns(sorted).map(([first, last]) =>
    first === last ? `eq(n,${first})` : `between(n,${first},${last})`,
  );
  const sum = (lo: number, hi: number): string => {
    if (hi - lo === 1) return terms[lo];
    if (hi - lo === 2) return `${terms[lo]}+${terms[lo + 1]}`;
    const mid = (lo + hi) >> 1;
    return `(${sum(lo, mid)})+(${sum(mid, hi)})`;
  };
  return terms.length === 0 ? '0' : sum(0, terms.length);
}

function scaleFilter(options: ReadFramesOptions): string {
  const { widthPx, heightPx } = options;
  if (widthPx === undefined && heightPx === undefined) return '';
  for (const [name, v] of [['widthPx', widthPx], ['heightPx', heightPx]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
      throw new InvalidConfig(`${name} must be a positive integer, got ${v}`);
    }
  }
  return `scale=${widthPx ?? -1}:${heightPx ?? -1}:flags=${options.scaleAlgorithm ?? 'bicubic'}`;
}

/** Runs ffmpeg with `filter` and yields the decoded RGB images. */
async function* decode(
  path: string,
  filter: string,
  maxFrames: number | undefined,
  options: ReadFramesOptions,
): AsyncGenerator<{ rgb: Buffer; widthPx: number; heightPx: number }> {
  options.signal?.throwIfAborted();
  const absolute = await requireFile(path);
  const stallTimeoutMs = options.stallTimeoutMs ?? defaultMediaOptions.stallTimeoutMs;
  const threads = options.decodeThreads ?? defaultMediaOptions.decodeThreads;
  let scriptDir: string | undefined;
  let child: ToolChild | undefined;
  const onAbort = () => child?.kill('SIGKILL');
  try {
    const filterArgs: string[] = [];
    if (filter.length > MAX_INLINE_FILTER_CHARS) {
      scriptDir = await mkdtemp(join(tmpdir(), 'fsfm-select-'));
      const script = join(scriptDir, 'filter.txt');
      await writeFile(script, filter);
      filterArgs.push('-filter_script:v', script);
    } else if (filter) {
      filterArgs.push('-vf', filter);
    }
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error',
      '-threads', String(threads),
      '-i', `file:${absolute}`,
      '-map', '0:V:0', '-an', '-sn', '-dn',
      ...filterArgs,
      ...(await passthroughFlags()),
      // Stop decoding once the last selected frame is out instead of running to the end of the video.
      ...(maxFrames !== undefined ? ['-frames:v', String(maxFrames)] : []),
      '-pix_fmt', 'rgb24', '-c:v', 'ppm', '-f', 'image2pipe', 'pipe:1',
    ];
    child = await startTool('ffmpeg', args);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stderr = new TailBuffer();
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const exited = waitForExit(child);
    const parser = new PpmStreamParser();
    const chunks = child.stdout[Symbol.asyncIterator]();
    let stalled = false;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stall = new Promise<'stall'>((resolve) => {
        timer = setTimeout(() => resolve('stall'), stallTimeoutMs);
      });
      const next = chunks.next();
      const step = await Promise.race([next, stall]).finally(() => clearTimeout(timer));
      if (step === 'stall') {
        stalled = true;
        next.catch(() => undefined);
        child.kill('SIGKILL');
        break;
      }
      if (step.done) break;
      let images;
      try {
        images = parser.push(step.value as Buffer);
      } catch (err) {
        throw new CorruptVideo(`unexpected ffmpeg output for ${path}: ${(err as Error).message}`, { cause: err });
      }
      for (const image of images) yield image;
    }
    const status = await exited;
    options.signal?.throwIfAborted();
    if (stalled) throw new TransientError(`ffmpeg produced no frame of ${path} for ${stallTimeoutMs} ms`);
    const broken =
      status.code !== 0
        ? `cannot decode video ${path}: ${firstLine(stderr.text(), absolute) || `ffmpeg exited with code ${status.code ?? status.signal}`}`
        : parser.partialBytes > 0
          ? `ffmpeg output for ${path} ended inside a frame`
          : undefined;
    if (broken !== undefined) {
      if (!options.allowTruncated) throw new CorruptVideo(broken);
      options.onTruncated?.(broken);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // Still running means the consumer stopped early (break/throw): the rest of the decode is unwanted.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child?.stdout.destroy();
    if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
  }
}
