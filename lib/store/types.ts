import type { Readable } from 'node:stream';
import { InvalidStoreKey } from './keys';

export interface ObjectInfo {
  key: string;
  sizeBytes: number;
  /** Hex sha256 of the object's bytes, recorded at write time (absent only in bare listings). */
  sha256?: string;
}

export type Body = Buffer | Uint8Array | string | Readable;

/**
 * An artifact store: flat keys ("runs/abc/pretrain/ckpt/100/weights.bin") mapped to immutable bytes.
 * Every object carries the sha256 recorded when it was written; reads verify it and throw IntegrityError on mismatch.
 */
export interface ArtifactStore {
  /** The store's URI, without credentials (file:///abs/dir or s3://bucket/prefix). */
  readonly uri: string;
  /** Writes an object. Streams are uploaded in parts (multipart on S3) and hashed on the way. */
  put(key: string, body: Body, opts?: { contentType?: string }): Promise<ObjectInfo>;
  /** Reads a whole object and verifies its sha256 (and `expectSha256`, when given). */
  get(key: string, opts?: { expectSha256?: string }): Promise<Buffer>;
  /** Streams an object to a local file, verifying its sha256 before the file appears under `filePath`. */
  download(key: string, filePath: string, opts?: { expectSha256?: string }): Promise<ObjectInfo>;
  /** Size and sha256 of an object, or null when it does not exist. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
}

/**
 * Keys are POSIX-style relative paths: no leading '/', no '.' or '..' segments, no empty segments. A bad key is
 * InvalidStoreKey (non-retryable: no retry can make it name an object). User-given keys are held to the stricter
 * rule of ./keys at input validation.
 */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new InvalidStoreKey(`invalid store key: ${JSON.stringify(key)}`);
  const segments = key.split('/');
  if (key.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith('.fsfm-'))) {
    throw new InvalidStoreKey(`invalid store key: ${JSON.stringify(key)} (relative POSIX path, no '.', '..', empty or '.fsfm-' segments)`);
  }
  return key;
}

/** Keys under a folder-like prefix: "a/b" and "a/b/" both mean the folder a/b. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s.length > 0)
    .join('/');
}
