import { FsfmError, StoreFull, StoreUnwritable, TransientError } from '../errors';

const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);
const FULL = new Set(['ENOSPC', 'EDQUOT']);
const TRANSIENT = new Set(['EIO', 'EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ESTALE', 'ETIMEDOUT']);

/**
 * Types a failed local-disk write by its errno, naming the operation and the cause: StoreUnwritable (read-only or no
 * permission; not retryable), StoreFull (bounded retry), TransientError (I/O hiccups). Anything else is returned as is.
 */
export function storeWriteError(err: unknown, what: string): unknown {
  if (err instanceof FsfmError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code) return err;
  const message = (err as Error).message ?? '';
  const detail = `${what} failed: ${message.startsWith(code) ? message : `${code}: ${message}`}`;
  if (UNWRITABLE.has(code)) return new StoreUnwritable(`${detail} (the store is read-only or not writable by this worker)`, { cause: err });
  if (FULL.has(code)) return new StoreFull(`${detail} (the store's disk is full)`, { cause: err });
  if (TRANSIENT.has(code)) return new TransientError(detail, { cause: err });
  return err;
}
