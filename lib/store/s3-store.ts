/**
 * s3://bucket/prefix backend (AWS SDK v3). Credentials come only from the process environment (the SDK's default
 * chain); nothing secret is ever part of the store's URI, errors or results.
 * Checksums: the SDK's default CRC32 trailers ('aws-chunked') are stored inside the object by some S3-compatible
 * servers (toolchain.md), so they are only sent when required; integrity is our own sha256, kept in object metadata.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FsfmError, IntegrityError, NotFound, TransientError } from '../errors';
import { verify } from './file-store';
import { sha256Hex, spoolToFile, toBuffer } from './hashing';
import { checkUserKey } from './keys';
import { checkKey, type ArtifactStore, type Body, type ObjectInfo } from './types';

/** Objects up to this size go in one PUT; larger ones and all streams go multipart. */
const SINGLE_PUT_MAX_BYTES = 16 * 1024 * 1024;
const PART_SIZE_BYTES = 8 * 1024 * 1024;

export interface S3StoreOptions {
  bucket: string;
  prefix: string;
  /** Custom endpoint (SeaweedFS, MinIO...); from FSFM_S3_ENDPOINT / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL by default. */
  endpoint?: string;
  region?: string;
  maxAttempts?: number;
  /**
   * A request whose socket stays silent this long fails (and is retried by the store's outage policy) instead of
   * hanging: a frozen or half-dead S3 server accepts connections and never answers. FSFM_S3_IDLE_TIMEOUT_S, default 60.
   */
  idleTimeoutS?: number;
}

/** How long a connection may take to open, and the default idle limit of a request (seconds). */
export const S3_CONNECT_TIMEOUT_S = 10;
export const S3_IDLE_TIMEOUT_S = 60;

export function s3OptionsFromEnv(bucket: string, prefix: string, env: NodeJS.ProcessEnv = process.env): S3StoreOptions {
  return {
    bucket,
    prefix,
    endpoint: env.FSFM_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    maxAttempts: env.FSFM_S3_MAX_ATTEMPTS ? Number(env.FSFM_S3_MAX_ATTEMPTS) : 5,
    idleTimeoutS: env.FSFM_S3_IDLE_TIMEOUT_S && Number(env.FSFM_S3_IDLE_TIMEOUT_S) > 0 ? Number(env.FSFM_S3_IDLE_TIMEOUT_S) : S3_IDLE_TIMEOUT_S,
  };
}

export class S3Store implements ArtifactStore {
  readonly uri: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix.replace(/\/+$/, '');
    if (this.prefix) checkUserKey(this.prefix, `S3 store prefix (bucket ${opts.bucket})`);
    this.uri = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = new S3Client({
      region: opts.region ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: Boolean(opts.endpoint),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: opts.maxAttempts ?? 5,
      requestHandler: { connectionTimeout: S3_CONNECT_TIMEOUT_S * 1000, socketTimeout: (opts.idleTimeoutS ?? S3_IDLE_TIMEOUT_S) * 1000 },
    });
  }

  private fullKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private rel(fullKey: string): string {
    return this.prefix ? fullKey.slice(this.prefix.length + 1) : fullKey;
  }

  async put(key: string, body: Body, opts: { contentType?: string } = {}): Promise<ObjectInfo> {
    const Key = this.fullKey(key);
    const ContentType = opts.contentType ?? 'application/octet-stream';
    if (!(body instanceof Readable)) {
      const buf = toBuffer(body);
      const sha256 = sha256Hex(buf);
      if (buf.length <= SINGLE_PUT_MAX_BYTES) {
        await this.call(`put ${key}`, () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: buf, ContentType, Metadata: { sha256 } })));
      } else {
        await this.multipart(key, Key, () => Readable.from([buf]), sha256, ContentType);
      }
      return { key, sizeBytes: buf.length, sha256 };
    }
    // The sha256 must be known before the upload starts (it travels as metadata), so a stream is spooled to a
    // local temp file while hashing, then uploaded in parts from that file (which also makes part retries possible).
    const tmp = path.join(os.tmpdir(), `fsfm-upload-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    try {
      const { sha256, sizeBytes } = await spoolToFile(body, tmp);
      await this.multipart(key, Key, () => fs.createReadStream(tmp), sha256, ContentType);
      return { key, sizeBytes, sha256 };
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  private async multipart(key: string, Key: string, source: () => Readable, sha256: string, ContentType: string): Promise<void> {
    await this.call(`multipart upload ${key}`, async () => {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key, Body: source(), ContentType, Metadata: { sha256 } },
        partSize: PART_SIZE_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
    });
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const head = await this.call(`stat ${key}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })));
      const sha256 = head.Metadata?.sha256;
      if (!sha256) throw new IntegrityError(`object ${key} in ${this.uri} has no recorded sha256 (not written by fsfm?)`);
      return { key, sizeBytes: head.ContentLength ?? 0, sha256 };
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  private async open(key: string): Promise<{ info: ObjectInfo; body: Readable }> {
    const res = await this.call(`get ${key}`, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })));
    const sha256 = res.Metadata?.sha256;
    if (!sha256) throw new IntegrityError(`object ${key} in ${this.uri} has no recorded sha256 (not written by fsfm?)`);
    return { info: { key, sizeBytes: res.ContentLength ?? 0, sha256 }, body: res.Body as Readable };
  }

  async get(key: string, opts: { expectSha256?: string } = {}): Promise<Buffer> {
    const { info, body } = await this.open(key);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    verify(this.uri, info, sha256Hex(buf), buf.length, opts.expectSha256);
    return buf;
  }

  async download(key: string, filePath: string, opts: { expectSha256?: string } = {}): Promise<ObjectInfo> {
    const { info, body } = await this.open(key);
    const tmp = `${filePath}.fsfm-tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    try {
      const got = await spoolToFile(body, tmp);
      verify(this.uri, info, got.sha256, got.sizeBytes, opts.expectSha256);
      await fs.promises.rename(tmp, filePath);
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
    return info;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const Prefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call(`list ${prefix}`, () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken })));
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: this.rel(o.Key), sizeBytes: o.Size ?? 0 });
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await this.call(`delete ${key}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })));
  }

  destroy(): void {
    this.client.destroy();
  }

  /** Maps SDK errors to typed ones: missing -> NotFound, auth/config -> non-retryable, the rest -> TransientError. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof FsfmError) throw err;
      const name = (err as Error).name;
      const status = err instanceof S3ServiceException ? err.$metadata?.httpStatusCode : undefined;
      if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
        if (name === 'NoSuchBucket') throw new FsfmError(`${what}: bucket ${this.bucket} does not exist (${this.uri})`, { cause: err });
        throw new NotFound(`${what}: no object in ${this.uri}`, { cause: err });
      }
      if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket', 'CredentialsProviderError'].includes(name) || status === 403) {
        throw new FsfmError(`${what} in ${this.uri} was refused (${name}): check the worker's S3 credentials and endpoint`, { cause: err });
      }
      throw new TransientError(`${what} in ${this.uri} failed: ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
