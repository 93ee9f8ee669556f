/**
 * Runs pretraining in a child process (architecture.md: training must not block the worker's event loop).
 * The child is lib/train/child.ts under tsx; progress comes back as messages, `cancel()` asks it to write a
 * checkpoint and stop, and a child that dies without a result rejects with its exit code and stderr tail
 * (a TransientError: a retry resumes from the newest committed checkpoint).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as errors from '../errors.js';
import type { ChildStartMessage, ChildToParent, SerializedError } from './child.js';
import { TrainingDiverged } from './errors.js';
import type { PretrainConfigInput } from './options.js';
import type { PretrainProgress, PretrainResult } from './pretrain.js';

export interface PretrainChildOptions {
  config: PretrainConfigInput;
  /** The store URI (file://DIR or s3://bucket/prefix); credentials stay in `env`. */
  storeUri: string;
  runId: string;
  onProgress?: (p: PretrainProgress) => void;
  onLog?: (line: string) => void;
  /** The child's environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
}

export interface PretrainChild extends EventEmitter {
  readonly pid: number | undefined;
  /** Settles when the child has exited: its result, its typed error, or a TransientError for a crash. */
  readonly result: Promise<PretrainResult>;
  /** Asks the child to checkpoint and stop; `result` then resolves with status 'cancelled'. */
  cancel(): void;
  /** Kills the child without a checkpoint. */
  kill(signal?: NodeJS.Signals): void;
}

const STDERR_TAIL_BYTES = 4000;
const CHILD_ENTRY = path.join(__dirname, 'child.ts');

/** Starts the child; listen for 'progress' and 'log' events or pass the callbacks. */
export function runPretrainingInChild(opts: PretrainChildOptions): PretrainChild {
  const child = fork(CHILD_ENTRY, [], {
    // Only tsx's loader: the parent's own flags (inspector, test runner hooks) do not belong to the child.
    execArgv: ['--import', tsxLoaderUrl()],
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const emitter = new EventEmitter() as PretrainChild;
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    emitter.emit('stderr', chunk);
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => emitter.emit('stdout', chunk));

  const result = new Promise<PretrainResult>((resolve, reject) => {
    let outcome: { result: PretrainResult } | { error: SerializedError } | null = null;
    child.on('message', (raw) => {
      const msg = raw as ChildToParent;
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
    child.on('error', (err) => reject(new errors.TransientError(`pretraining child failed to start: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      if (outcome && 'result' in outcome) resolve(outcome.result);
      else if (outcome) reject(revive(outcome.error));
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new errors.TransientError(`pretraining child ${child.pid} ${how} without a result; stderr tail:\n${stderrTail.trim()}`));
      }
    });
  });

  const start: ChildStartMessage = { type: 'start', storeUri: opts.storeUri, runId: opts.runId, config: opts.config };
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

/** The child's error as the same typed error in this process (unknown kinds as FsfmError with their name). */
function revive(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'TransientError') err = new errors.TransientError(e.message);
  else if (e.name === 'TrainingDiverged') err = new TrainingDiverged(e.message, e.step ?? -1, e.losses ?? { loss: NaN, lRec: NaN, lFr: NaN, lCl: NaN });
  else if (ERROR_CLASSES[e.name]) err = new ERROR_CLASSES[e.name](e.message, { retryable: e.retryable });
  else {
    err = new errors.FsfmError(e.message, { retryable: e.retryable });
    err.name = e.name;
  }
  if (e.stack) err.stack = `${err.name}: ${e.message}\n    [in the pretraining child]\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
