/**
 * Process entry of a pretraining child (started by child-runner.ts with tsx): training runs here so that
 * the worker's event loop stays free. Protocol over the IPC channel:
 *   parent -> child  { type: 'start', storeUri, runId, config }   { type: 'cancel' }
 *   child -> parent  { type: 'progress', progress }  { type: 'log', line }
 *                    { type: 'result', result }  |  { type: 'error', error: { name, message, retryable, stack } }
 * Cancel, SIGTERM/SIGINT and a lost parent all abort the run, which then writes a checkpoint and exits.
 * Store credentials come from the environment (openStore), never from the message.
 */
import { openStore } from '../store/index.js';
import { TrainingDiverged } from './errors.js';
import type { PretrainConfigInput } from './options.js';
import { runPretraining } from './pretrain.js';

export interface ChildStartMessage {
  type: 'start';
  storeUri: string;
  runId: string;
  config: PretrainConfigInput;
}

export type ChildToParent =
  | { type: 'progress'; progress: import('./pretrain.js').PretrainProgress }
  | { type: 'log'; line: string }
  | { type: 'result'; result: import('./pretrain.js').PretrainResult }
  | { type: 'error'; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  retryable: boolean;
  stack?: string;
  /** TrainingDiverged's step and losses. */
  step?: number;
  losses?: { loss: number; lRec: number; lFr: number; lCl: number };
}

const controller = new AbortController();
let started = false;

function send(message: ChildToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function start(msg: ChildStartMessage): Promise<void> {
  try {
    const store = openStore(msg.storeUri);
    const result = await runPretraining({
      config: msg.config,
      store,
      runId: msg.runId,
      signal: controller.signal,
      onProgress: (progress) => void send({ type: 'progress', progress }),
      log: (line) => void send({ type: 'log', line }),
    });
    await send({ type: 'result', result });
    process.exit(0);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    await send({
      type: 'error',
      error: {
        name: e.name,
        message: e.message,
        retryable: Boolean((e as { retryable?: boolean }).retryable),
        stack: e.stack,
        ...(e instanceof TrainingDiverged ? { step: e.step, losses: e.losses } : {}),
      },
    });
    process.exit(1);
  }
}

process.on('message', (raw: unknown) => {
  const msg = raw as { type?: string };
  if (msg?.type === 'start' && !started) {
    started = true;
    void start(raw as ChildStartMessage);
  } else if (msg?.type === 'cancel') {
    controller.abort();
  }
});
// A lost parent or a termination request: stop at the next step boundary with a checkpoint.
process.on('disconnect', () => (started ? controller.abort() : process.exit(0)));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (started ? controller.abort() : process.exit(0)));
