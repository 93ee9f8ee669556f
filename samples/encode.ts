/**
 * H.264 writing: one ffmpeg process per video reading raw yuv420p frames from stdin. The RGB -> YUV conversion
 * happens here in plain arithmetic (BT.601, limited range, 2x2 chroma means) so that no SIMD path of swscale
 * can make two machines disagree; x264 runs with one thread and ffmpeg writes no version strings, so the same
 * frames give the same file bytes on the same ffmpeg build.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { FsfmError, InvalidConfig } from '../lib/errors.js';
import type { RgbImage } from '../lib/faces/index.js';
import { toolPath } from '../lib/media/index.js';

export interface EncoderOptions {
  sizePx: number;
  fps: number;
  /** x264 constant rate factor (FF++ c23 = 23, c40 = 40). */
  crf: number;
}

/** Arguments shared with the face-less clip, so every video of the dataset is encoded alike. */
export function x264Args(options: EncoderOptions): string[] {
  return [
    '-c:v', 'libx264', '-preset', 'medium', '-crf', String(options.crf), '-threads', '1',
    '-pix_fmt', 'yuv420p', '-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m',
    '-color_range', 'tv', '-g', String(4 * options.fps),
    '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
  ];
}

export class VideoEncoder {
  private readonly stdin: Writable;
  private readonly exited: Promise<void>;
  private readonly partial: string;
  private stderr = '';
  private frames = 0;

  constructor(private readonly file: string, private readonly options: EncoderOptions) {
    this.partial = `${file}.partial`;
    const { sizePx, fps } = options;
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${sizePx}x${sizePx}`, '-framerate', String(fps), '-i', 'pipe:0',
      ...x264Args(options), '-f', 'mp4', this.partial,
    ];
    const child = spawn(toolPath('ffmpeg'), args, { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString('utf8');
    });
    this.stdin = child.stdin;
    // A failed ffmpeg closes its stdin; the exit status carries the reason.
    this.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve, reject) => {
      child.once('error', (err) => reject(new InvalidConfig(`cannot run ffmpeg: ${err.message}`, { cause: err })));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new FsfmError(`ffmpeg failed writing ${file} (${signal ?? `exit ${code}`}): ${this.stderr.trim()}`));
      });
    });
    this.exited.catch(() => undefined);
  }

  /** Queues one frame; resolves when ffmpeg is ready for more (backpressure). */
  async write(frame: RgbImage): Promise<void> {
    if (frame.widthPx !== this.options.sizePx || frame.heightPx !== this.options.sizePx) {
      throw new InvalidConfig(`frame is ${frame.widthPx}x${frame.heightPx}, the video is ${this.options.sizePx}px square`);
    }
    this.frames++;
    if (!this.stdin.write(rgbToYuv420(frame))) await Promise.race([once(this.stdin, 'drain'), this.exited]);
  }

  /** Ends the stream and moves the finished file into place; returns the frame count. */
  async close(): Promise<number> {
    this.stdin.end();
    try {
      await this.exited;
    } catch (err) {
      await rm(this.partial, { force: true });
      throw err;
    }
    await rename(this.partial, this.file);
    return this.frames;
  }

  /** Stops ffmpeg and removes the unfinished file. */
  async abort(): Promise<void> {
    this.stdin.destroy();
    await this.exited.catch(() => undefined);
    await rm(this.partial, { force: true });
  }
}

/** [S, S, 3] RGB -> planar yuv420p (Y S*S, then U and V (S/2)^2 each); BT.601 limited range. */
export function rgbToYuv420(frame: RgbImage): Buffer {
  const w = frame.widthPx;
  const h = frame.heightPx;
  const rgb = frame.rgb;
  const cw = w >> 1;
  const ch = h >> 1;
  const out = Buffer.allocUnsafe(w * h + 2 * cw * ch);
  for (let i = 0, p = 0; i < w * h; i++, p += 3) {
    out[i] = Math.round(16 + (65.481 * rgb[p] + 128.553 * rgb[p + 1] + 24.966 * rgb[p + 2]) / 255);
  }
  const uBase = w * h;
  const vBase = uBase + cw * ch;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const p = (2 * y * w + 2 * x) * 3;
      const q = p + w * 3;
      const r = (rgb[p] + rgb[p + 3] + rgb[q] + rgb[q + 3]) / 4;
      const g = (rgb[p + 1] + rgb[p + 4] + rgb[q + 1] + rgb[q + 4]) / 4;
      const b = (rgb[p + 2] + rgb[p + 5] + rgb[q + 2] + rgb[q + 5]) / 4;
      out[uBase + y * cw + x] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      out[vBase + y * cw + x] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  return out;
}
