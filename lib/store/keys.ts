/**
 * One rule for store keys that come from users (output prefixes, prepared sets, checkpoint and .pth keys, run ids,
 * the FSFM_STORE S3 prefix): relative POSIX paths of `[A-Za-z0-9._-]` segments, none empty, none `.` or `..`, none
 * starting with `.fsfm-` (the store's own temp names), at most 1024 characters. Input validation applies it (zod
 * schemas below), so a bad key fails before any work with one message; the stores' own check (checkKey) throws
 * InvalidStoreKey, a non-retryable error, for anything that still gets through.
 */
import { z } from 'zod';
import { InvalidConfig } from '../errors';

/** A store key that cannot name an object: retrying cannot help. */
export class InvalidStoreKey extends InvalidConfig {}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Why `key` is not a valid user store key, or undefined when it is. */
export function userKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'is empty';
  if (key.length > 1024) return 'is longer than 1024 characters';
  if (key.startsWith('/')) return 'must be relative (no leading /)';
  for (const s of key.split('/')) {
    if (s === '') return 'has an empty segment (// or a trailing /)';
    if (s === '.' || s === '..') return `has a '${s}' segment`;
    if (s.startsWith('.fsfm-')) return "has a segment starting with '.fsfm-' (reserved)";
    if (!SEGMENT.test(s)) return "has characters other than letters, digits, '.', '_', '-' and '/'";
  }
  return undefined;
}

const RULE = "a relative store path of letters, digits, '.', '_', '-' segments (no '..', no leading '/', no empty segment)";

/** A user-given store key or prefix, e.g. prepared/ffpp or runs/x/pretrain. */
export const storeKeySchema = z.string().superRefine((key, ctx) => {
  const problem = userKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: `store key ${JSON.stringify(key)} ${problem}; expected ${RULE}` });
});

/** A user-given name that becomes one segment of store keys (a run id). */
export function storeNameSchema(maxLength: number) {
  return z.string().superRefine((name, ctx) => {
    const problem = name.includes('/') ? 'has a /' : name.length > maxLength ? `is longer than ${maxLength} characters` : userKeyProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: `name ${JSON.stringify(name)} ${problem}; expected letters, digits, '.', '_', '-' (not '.' or '..', at most ${maxLength})` });
  });
}

/** Throws InvalidStoreKey unless `key` is a valid user store key; `what` names where it came from. */
export function checkUserKey(key: string, what: string): string {
  const problem = userKeyProblem(key);
  if (problem) throw new InvalidStoreKey(`${what} ${JSON.stringify(key)} ${problem}; expected ${RULE}`);
  return key;
}
