/**
 * The one place where domain errors become Temporal failures. Bad input (retryable: false) becomes a
 * non-retryable ApplicationFailure whose type is the error's class name, so workflows and the CLI can tell
 * "your config is wrong" from "S3 blinked".
 */
import { ApplicationFailure } from '@temporalio/common';
import { FsfmError } from '../lib/errors';

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof FsfmError) {
    return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable, cause: err.cause instanceof Error ? err.cause : undefined });
  }
  return err;
}

/** Wraps an activity implementation so every thrown domain error is mapped by toFailure. */
export function mapFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toFailure(err);
    }
  };
}
