/**
 * Typed domain errors. `lib/` throws these; activities map them to Temporal failure types in
 * exactly one place (activities/failures.ts). `retryable: false` marks bad input: retrying cannot help.
 */
// Strict schemas name unknown keys with a "did you mean" (installed here so every validating module has it).
import './schema-messages';

export class FsfmError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/** A configuration or workflow input that fails validation. */
export class InvalidConfig extends FsfmError {}
/** A test set whose labels are all real or all fake: AUC, EER and AP are undefined on it. */
export class SingleClassTestSet extends InvalidConfig {}
/** A path that is missing, unreadable, or escapes its root. */
export class InvalidPath extends FsfmError {}
/** A dataset folder that does not match the expected layout. */
export class InvalidDatasetLayout extends FsfmError {}
/** A media file that cannot be decoded (corrupt, truncated, not a video). */
export class CorruptVideo extends FsfmError {}
/** No face was found where one was required. */
export class NoFaceFound extends FsfmError {}
/** A stored object whose bytes do not match its recorded sha256, or a missing object. */
export class IntegrityError extends FsfmError {}
/** An artifact that does not exist in the store. */
export class NotFound extends FsfmError {}
/** A transient failure of an external service (S3, a child process); worth retrying. */
export class TransientError extends FsfmError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: true, cause: options.cause });
  }
}
/** A store that refuses writes (read-only file system, no permission): retrying cannot help. */
export class StoreUnwritable extends FsfmError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
  }
}
/**
 * A store that is out of space (ENOSPC, EDQUOT). Retried for a bounded time by the store's retry policy
 * (lib/store/retry.ts), which then throws it as non-retryable.
 */
export class StoreFull extends FsfmError {
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { retryable: options.retryable ?? true, cause: options.cause });
  }
}
