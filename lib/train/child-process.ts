/**
 * The parent side of a training child process (architecture.md: heavy compute stays off the worker's event loop),
 * shared by pretraining (child-runner.ts), finetuning (lib/finetune/child-runner.ts) and evaluation (lib/eval).
 * Protocol over IPC (JSON):
 *   parent -> child  { type: 'start', start: S }   { type: 'cancel' }
 *   child -> parent  { type: 'progress', progress }  { type: 'log', line }
 *                    { type: 'result', result }  |  { type: 'error', error: SerializedError }
 * The child side is child-entry.ts (`serveChild`). `cancel()` asks the child to checkpoint and stop; a child that
 * dies without a result rejects with its exit code and stderr tail as a TransientError (a retry resumes from the
 * newest committed checkpoint); a typed error in the child is rethrown here as the same type.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as errors from '../errors.js';
import { TrainingDiverged } from './errors.js';

export interface SerializedError {
  name: string;
  message: string;
  retryable: boolean;
  stack?: string;
  /** TrainingDiverged's step and losses. */
  step?: number;
  losses?: { loss: number; lRec: number; lFr: number; lCl: number };
}

export type ChildToParent<P, R> =
  | { type: 'progress'; progress: P }
  | { type: 'log'; line: string }
  | { type: 'result'; result: R }
  | { type: 'error'; error: SerializedError };

export interface ChildStart<S> {
  type: 'start';
  start: S;
}

export interface TrainingChild<P, R> extends EventEmitter {
  readonly pid: number | undefined;
  /** Settles when the child has exited: its result, its typed error, or a TransientError for a crash. */
  readonly result: Promise<R>;
  /** Asks the child to checkpoint and stop; `result` then resolves with status 'cancelled'. */
  cancel(): void;
  /** Kills the child without a checkpoint. */
  kill(signal?: NodeJS.Signals): void;
}

export interface ForkChildOptions<S, P> extends ChildCallbacks<P> {
  /** Absolute path of the child's .ts entry (run under tsx). */
  entry: string;
  /** Names the child in messages ("pretraining", "finetuning"). */
  what: string;
  /** Sent as the start message; store credentials belong in `env`, never here. */
  start: S;
}

/** The start message of a training child: which run, on which store, with which config. */
export interface TrainingChildStart<C> {
  /** The store URI (file://DIR or s3://bucket/prefix); credentials stay in the child's environment. */
  storeUri: string;
  runId: string;
  config: C;
}

/** What the caller of a child passes besides its start message; it stays in this process. */
export interface ChildCallbacks<P> {
  onProgress?: (p: P) => void;
  onLog?: (line: string) => void;
  /** The child's environment (store credentials belong here); default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The `run…InChild` function of one kind of child (pretraining, finetuning, evaluation): its options are the start
 * message plus the callbacks, which are kept here and never sent.
 */
export function childRunner<S extends object, P, R>(entry: string, what: string): (opts: S & ChildCallbacks<P>) => TrainingChild<P, R> {
  return ({ onProgress, onLog, env, ...start }) => forkTrainingChild<S, P, R>({ entry, what, start: start as unknown as S, onProgress, onLog, env });
}

const STDERR_TAIL_BYTES = 4000;
const FATAL_LINE = /FATAL ERROR:[^\n]*\n?|[^\n]*heap out of memory[^\n]*/;

/** Starts the child; listen for 'progress', 'log', 'stderr' and 'stdout' events or pass the callbacks. */
export function forkTrainingChild<S, P, R>(opts: ForkChildOptions<S, P>): TrainingChild<P, R> {
  const child = fork(opts.entry, [], {
    // Only tsx's loader: the parent's own flags (inspector, test runner hooks) do not belong to the child.
    execArgv: ['--import', tsxLoaderUrl()],
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const emitter = new EventEmitter() as TrainingChild<P, R>;
  let stderrTail = '';
  // V8's own last words ("FATAL ERROR: ... JavaScript heap out of memory") come before a native stack trace that
  // can be longer than the tail: kept apart so the failure always names the cause.
  let fatal: string | undefined;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const joined = stderrTail + chunk;
    fatal ??= FATAL_LINE.exec(joined)?.[0].trim();
    stderrTail = joined.slice(-STDERR_TAIL_BYTES);
    emitter.emit('stderr', chunk);
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => emitter.emit('stdout', chunk));

  const result = new Promise<R>((resolve, reject) => {
    let outcome: { result: R } | { error: SerializedError } | null = null;
    child.on('message', (raw) => {
      const msg = raw as ChildToParent<P, R>;
      switch (msg.type) {
        case 'progress':
          opts.onProgress?.(msg.progress);
          emitter.emit('progress', msg.progress);
          break;
        case 'log':
          opts.onLog?.(msg.line);
          emitter.emit('log', msg.line);
          break;
        case 'result':
          outcome = { result: msg.result };
          break;
        case 'error':
          outcome = { error: msg.error };
          break;
      }
    });
    child.on('error', (err) => reject(new errors.TransientError(`${opts.what} child failed to start: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      if (outcome && 'result' in outcome) resolve(outcome.result);
      else if (outcome) reject(reviveChildError(outcome.error, opts.what));
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new errors.TransientError(`${opts.what} child ${child.pid} ${how} without a result${fatal ? ` (${fatal})` : ''}; stderr tail:\n${stderrTail.trim()}`));
      }
    });
  });

  const start: ChildStart<S> = { type: 'start', start: opts.start };
  child.send(start);
  Object.defineProperties(emitter, {
    pid: { get: () => child.pid },
    result: { value: result },
  });
  emitter.cancel = () => {
    if (child.connected) child.send({ type: 'cancel' });
    else if (child.exitCode === null) child.kill('SIGTERM');
  };
  emitter.kill = (signal: NodeJS.Signals = 'SIGKILL') => void killChild(child, signal);
  return emitter;
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

/** tsx's ESM+CJS loader as a file URL, resolved from this package (not from the worker's working directory). */
function tsxLoaderUrl(): string {
  const require = createRequire(__filename);
  return pathToFileURL(require.resolve('tsx')).href;
}

const ERROR_CLASSES: Record<string, new (message: string, options?: { retryable?: boolean }) => errors.FsfmError> = {
  FsfmError: errors.FsfmError,
  InvalidConfig: errors.InvalidConfig,
  InvalidPath: errors.InvalidPath,
  InvalidDatasetLayout: errors.InvalidDatasetLayout,
  CorruptVideo: errors.CorruptVideo,
  NoFaceFound: errors.NoFaceFound,
  IntegrityError: errors.IntegrityError,
  NotFound: errors.NotFound,
  SingleClassTestSet: errors.SingleClassTestSet,
};

/** An error as the child sends it (TrainingDiverged keeps its step and losses). */
export function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    name: e.name,
    message: e.message,
    retryable: Boolean((e as { retryable?: boolean }).retryable),
    stack: e.stack,
    ...(e instanceof TrainingDiverged ? { step: e.step, losses: e.losses } : {}),
  };
}

/** The child's error as the same typed error in this process (unknown kinds as FsfmError with their name). */
export function reviveChildError(e: SerializedError, what = 'training'): Error {
  let err: Error;
  if (e.name === 'TransientError') err = new errors.TransientError(e.message);
  else if (e.name === 'TrainingDiverged') err = new TrainingDiverged(e.message, e.step ?? -1, e.losses ?? { loss: NaN, lRec: NaN, lFr: NaN, lCl: NaN });
  else if (ERROR_CLASSES[e.name]) err = new ERROR_CLASSES[e.name](e.message, { retryable: e.retryable });
  else {
    err = new errors.FsfmError(e.message, { retryable: e.retryable });
    err.name = e.name;
  }
  if (e.stack) err.stack = `${err.name}: ${e.message}\n    [in the ${what} child]\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
