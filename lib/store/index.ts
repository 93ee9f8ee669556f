import path from 'node:path';
import { InvalidConfig } from '../errors';
import { FileStore } from './file-store';
import { userKeyProblem } from './keys';
import { RetryingStore, storeRetryPolicyFromEnv } from './retry';
import { S3Store, s3OptionsFromEnv } from './s3-store';
import type { ArtifactStore } from './types';

export * from './types';
export * from './keys';
export * from './sets';
export { FileStore } from './file-store';
export { S3Store, s3OptionsFromEnv } from './s3-store';
export { DEFAULT_STORE_RETRY, RetryingStore, onStoreWait, storeRetryPolicyFromEnv, type StoreRetryPolicy, type StoreWait } from './retry';

/** The store used when nothing is configured: a local folder under the current directory. */
export function defaultStoreUri(env: NodeJS.ProcessEnv = process.env): string {
  return env.FSFM_STORE || `file://${path.resolve('.artifacts')}`;
}

/**
 * Opens a store from its URI: `file://DIR` (absolute, or relative to the current directory) or `s3://bucket/prefix`.
 * S3 endpoint, region and credentials come from the environment, never from the URI. The store rides out outages
 * per the retry policy in the environment (lib/store/retry.ts: FSFM_STORE_OUTAGE_S, FSFM_STORE_FULL_S).
 */
export function openStore(uri: string = defaultStoreUri(), env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  if (uri.startsWith('file://')) {
    const dir = uri.slice('file://'.length);
    if (!dir) throw new InvalidConfig(`store URI ${uri} names no folder`);
    return new RetryingStore(new FileStore(path.resolve(dir)), storeRetryPolicyFromEnv(env));
  }
  if (uri.startsWith('s3://')) {
    const rest = uri.slice('s3://'.length);
    const [bucket, ...prefix] = rest.split('/');
    if (!bucket) throw new InvalidConfig(`store URI ${uri} names no bucket`);
    if (/[@:]/.test(bucket)) throw new InvalidConfig(`store URI must not carry credentials or ports; set them in the environment (AWS_ACCESS_KEY_ID, FSFM_S3_ENDPOINT)`);
    const key = prefix.join('/').replace(/\/$/, '');
    if (key) {
      const problem = userKeyProblem(key);
      if (problem) throw new InvalidConfig(`store URI ${uri}: the prefix ${JSON.stringify(key)} ${problem}`);
    }
    return new RetryingStore(new S3Store(s3OptionsFromEnv(bucket, key, env)), storeRetryPolicyFromEnv(env));
  }
  throw new InvalidConfig(`unsupported store URI ${JSON.stringify(uri)}: use file://DIR or s3://bucket/prefix`);
}
