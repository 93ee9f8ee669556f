/**
 * The child side of a training child process (child-process.ts has the protocol): waits for one start message,
 * runs the job with an AbortSignal, streams progress and log lines, sends the result or the typed error, exits.
 * Cancel, SIGTERM/SIGINT and a lost parent all abort the job, which then writes a checkpoint and returns.
 */
import { type ChildStart, type ChildToParent, serializeError } from './child-process.js';

export interface ChildJobContext<P> {
  signal: AbortSignal;
  progress(p: P): void;
  log(line: string): void;
}

/** Call once at module level of a child entry file. */
export function serveChild<S, P, R>(job: (start: S, ctx: ChildJobContext<P>) => Promise<R>): void {
  const controller = new AbortController();
  let started = false;

  const send = (message: ChildToParent<P, R>): Promise<void> =>
    new Promise((resolve) => {
      if (!process.send || !process.connected) return resolve();
      process.send(message, undefined, {}, () => resolve());
    });

  const run = async (start: S): Promise<void> => {
    try {
      const result = await job(start, {
        signal: controller.signal,
        progress: (progress) => void send({ type: 'progress', progress }),
        log: (line) => void send({ type: 'log', line }),
      });
      await send({ type: 'result', result });
      process.exit(0);
    } catch (err) {
      await send({ type: 'error', error: serializeError(err) });
      process.exit(1);
    }
  };

  process.on('message', (raw: unknown) => {
    const msg = raw as { type?: string };
    if (msg?.type === 'start' && !started) {
      started = true;
      void run((raw as ChildStart<S>).start);
    } else if (msg?.type === 'cancel') {
      controller.abort();
    }
  });
  // A lost parent or a termination request: stop at the next step boundary with a checkpoint.
  process.on('disconnect', () => (started ? controller.abort() : process.exit(0)));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (started ? controller.abort() : process.exit(0)));
}
