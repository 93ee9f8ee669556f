/** A child entry for child-runner.test.ts: reports one progress event and one log line, returns its start message and one variable of its environment. */
import { serveChild } from '../../../lib/train/child-entry.js';

serveChild<Record<string, unknown>, { step: number }, { start: Record<string, unknown>; env: string | undefined }>(async (start, ctx) => {
  ctx.progress({ step: 1 });
  ctx.log('hello');
  return { start, env: process.env.FSFM_ECHO };
});
