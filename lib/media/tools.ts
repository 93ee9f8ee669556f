/**
 * Locating and running the ffmpeg/ffprobe binaries. Every call goes through `spawn` without a shell, so paths
 * with spaces or quotes never need escaping, and every child is killed on timeout or abort so no caller hangs.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { FsfmError, InvalidConfig, TransientError } from '../errors.js';

export type MediaTool = 'ffmpeg' | 'ffprobe';

/** The binary to run: `FFMPEG_PATH` / `FFPROBE_PATH` when set, else the name looked up on PATH. */
export function toolPath(tool: MediaTool, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = tool === 'ffmpeg' ? env.FFMPEG_PATH : env.FFPROBE_PATH;
  return fromEnv && fromEnv.trim() !== '' ? fromEnv : tool;
}

/**
 * Thrown when the binary cannot be started: a setup problem of this worker (InvalidConfig, not retryable), never
 * a property of the video, so per-video error collection must not swallow it.
 */
export function missingToolError(tool: MediaTool, binary: string, cause: unknown): InvalidConfig {
  const envName = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  return new InvalidConfig(
    `cannot run ${tool} (${binary}: ${code}): install ffmpeg (make deps), or set ${envName} to the ${tool} binary`,
    { cause },
  );
}

export type ToolChild = ChildProcessByStdio<null, Readable, Readable>;

/** Starts a tool with stdin closed and stdout/stderr piped; resolves once the OS has started it. */
export function startTool(tool: MediaTool, args: string[]): Promise<ToolChild> {
  const binary = toolPath(tool);
  return new Promise((resolve, reject) => {
    let child: ToolChild;
    try {
      child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    } catch (err) {
      reject(missingToolError(tool, binary, err));
      return;
    }
    const onError = (err: Error) => reject(missingToolError(tool, binary, err));
    child.once('error', onError);
    child.once('spawn', () => {
      child.off('error', onError);
      resolve(child);
    });
  });
}

/** Keeps the last `maxBytes` of a stream (stderr) so a chatty child cannot grow our memory. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly maxBytes = 64 * 1024) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.maxBytes && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * The first non-empty line of a tool's stderr, where ffmpeg puts the reason ("x.mp4: Invalid data found ..."),
 * without the "[h264 @ 0x55d0...]" context prefix and the `file:<input>: ` echo of the input, which the caller's
 * message already names.
 */
export function firstLine(text: string, input?: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  let clean = line.trim().replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/i, '');
  if (input !== undefined && clean.startsWith(`file:${input}: `)) clean = clean.slice(`file:${input}: `.length);
  // ffmpeg echoes whole expressions in some errors; keep messages readable.
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function waitForExit(child: ToolChild): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool to completion and collects its output. A timeout or an abort kills the child (SIGKILL: ffprobe
 * decoding a huge file ignores nothing else reliably) and rejects: TransientError on timeout, the signal's
 * reason on abort. Output is collected whole, so use this only for small outputs (ffprobe JSON).
 */
export async function runTool(
  tool: MediaTool,
  args: string[],
  options: { timeoutMs: number; signal?: AbortSignal; maxStdoutBytes?: number },
): Promise<RunResult> {
  options.signal?.throwIfAborted();
  const child = await startTool(tool, args);
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  const maxStdoutBytes = options.maxStdoutBytes ?? 16 * 1024 * 1024;
  const stderr = new TailBuffer();
  let failure: unknown;
  const kill = (reason: unknown) => {
    failure ??= reason;
    child.kill('SIGKILL');
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > maxStdoutBytes) kill(new FsfmError(`${tool} wrote more than ${maxStdoutBytes} bytes`));
    else stdout.push(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(
    () => kill(new TransientError(`${tool} did not finish within ${options.timeoutMs} ms (${args.at(-1)})`)),
    options.timeoutMs,
  );
  const onAbort = () => kill(options.signal!.reason ?? new Error('aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const status = await waitForExit(child);
    if (failure !== undefined) throw failure;
    return { ...status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: stderr.text() };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

// Keyed by binary so that a changed FFMPEG_PATH is probed again.
const fpsModeFlags = new Map<string, Promise<string[]>>();

/**
 * `-fps_mode passthrough` (ffmpeg >= 5.1) or `-vsync passthrough` (older): every decoded frame reaches the
 * output exactly once, never duplicated or dropped to fit a frame rate, so output frame k is decoded frame n.
 */
export function passthroughFlags(): Promise<string[]> {
  const binary = toolPath('ffmpeg');
  let flags = fpsModeFlags.get(binary);
  if (!flags) {
    flags = runTool('ffmpeg', ['-hide_banner', '-version'], { timeoutMs: 15_000 })
      .then((r) => (supportsFpsMode(r.stdout) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']))
      .catch((err) => {
        fpsModeFlags.delete(binary);
        throw err;
      });
    fpsModeFlags.set(binary, flags);
  }
  return flags;
}

/** Parses `ffmpeg version 5.1.9-0+deb12u1 ...`; builds from git (`N-1234-g...`) are newer than 5.1. */
export function supportsFpsMode(versionText: string): boolean {
  const m = /ffmpeg version (?:n)?(\d+)\.(\d+)/i.exec(versionText);
  if (!m) return true;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 1);
}
