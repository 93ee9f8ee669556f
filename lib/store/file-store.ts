/**
 * file://DIR backend. Each object is written once, whole, to its own blob
 * DIR/.fsfm-objects/<key>.fsfm-<sha256>-<nonce>[.<ext>], and committed by renaming a symbolic link DIR/<key> -> that blob
 * into place. The link's target carries the sha256, so data and digest are committed together by one rename:
 * concurrent writers of one key each leave a complete object, the last rename wins, and no reader can ever pair one
 * writer's bytes with another's digest. DIR/<key> stays a readable path for people and browsers; the blob repeats
 * the key's extension, because a browser opening the link types the file by the name it resolves to (a report.html
 * whose blob ended in the nonce opened as plain text).
 * Stores written before this layout (a plain file plus DIR/.fsfm-meta/<key>.json) are still read.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { IntegrityError, NotFound } from '../errors';
import { sha256Hex, spoolToFile, toBuffer } from './hashing';
import { storeWriteError } from './errno';
import { checkKey, type ArtifactStore, type Body, type ObjectInfo } from './types';

const OBJECTS = '.fsfm-objects';
const LEGACY_META = '.fsfm-meta';
const BLOB_RE = /\.fsfm-([0-9a-f]{64})-[0-9a-f]+(\.[A-Za-z0-9]{1,10})?$/;

/** The key's file extension (".html"), kept at the end of its blob's name; '' when it has none. */
export function blobExtension(key: string): string {
  const ext = path.posix.extname(key);
  return /^\.[A-Za-z0-9]{1,10}$/.test(ext) ? ext : '';
}

export class FileStore implements ArtifactStore {
  readonly uri: string;
  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.uri = `file://${this.root}`;
  }

  private linkPath(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  private blobPath(key: string, sha256: string): string {
    return path.join(this.root, OBJECTS, ...checkKey(key).split('/')) + `.fsfm-${sha256}-${crypto.randomBytes(6).toString('hex')}${blobExtension(key)}`;
  }

  private legacyMetaPath(key: string): string {
    return path.join(this.root, LEGACY_META, ...checkKey(key).split('/')) + '.json';
  }

  private tmpPath(target: string): string {
    return `${target}.fsfm-tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  }

  async put(key: string, body: Body): Promise<ObjectInfo> {
    const link = this.linkPath(key);
    const objectsDir = path.dirname(path.join(this.root, OBJECTS, ...key.split('/')));
    const tmp = this.tmpPath(path.join(objectsDir, path.basename(link)));
    const linkTmp = this.tmpPath(link);
    let blob: string | undefined;
    let committed = false;
    try {
      await mkdirs(objectsDir);
      await mkdirs(path.dirname(link));
      let info: ObjectInfo;
      if (body instanceof Readable) {
        const { sha256, sizeBytes } = await spoolToFile(body, tmp);
        info = { key, sizeBytes, sha256 };
      } else {
        const buf = toBuffer(body);
        await fs.promises.writeFile(tmp, buf);
        info = { key, sizeBytes: buf.length, sha256: sha256Hex(buf) };
      }
      blob = this.blobPath(key, info.sha256!);
      await fs.promises.rename(tmp, blob);
      const previous = await this.target(key);
      await fs.promises.symlink(path.relative(path.dirname(link), blob), linkTmp);
      await fs.promises.rename(linkTmp, link);
      committed = true;
      // The blob this writer replaced is no longer reachable (only its own writer ever links to a blob).
      if (previous && previous !== blob) await fs.promises.rm(previous, { force: true });
      await fs.promises.rm(this.legacyMetaPath(key), { force: true });
      return info;
    } catch (err) {
      await Promise.all([tmp, linkTmp, committed ? undefined : blob].map((p) => (p ? fs.promises.rm(p, { force: true }).catch(() => undefined) : undefined)));
      throw storeWriteError(err, `put ${key} in ${this.uri}`);
    }
  }

  /** Absolute path of the blob DIR/<key> links to; null when the key is absent or a legacy plain file. */
  private async target(key: string): Promise<string | null> {
    const link = this.linkPath(key);
    try {
      return path.resolve(path.dirname(link), await fs.promises.readlink(link));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EINVAL' || code === 'ENOTDIR') return null;
      throw err;
    }
  }

  /** Where an object's bytes are and its recorded digest, or null when it does not exist. */
  private async locate(key: string): Promise<{ file: string; sha256: string } | null> {
    const blob = await this.target(key);
    if (blob) {
      const m = BLOB_RE.exec(blob);
      if (!m || !blob.startsWith(path.join(this.root, OBJECTS) + path.sep)) throw new IntegrityError(`object ${key} in ${this.uri} links outside the store's objects (${blob})`);
      return { file: blob, sha256: m[1] };
    }
    try {
      const meta = JSON.parse(await fs.promises.readFile(this.legacyMetaPath(key), 'utf8')) as { sha256: string };
      const file = this.linkPath(key);
      if (!(await fs.promises.lstat(file)).isFile()) return null;
      return { file, sha256: meta.sha256 };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw err;
    }
  }

  /**
   * Runs `read` on the object's current bytes. A blob can vanish between locating and opening it when a concurrent
   * put replaces the object; the read then starts again on the new one.
   */
  private async withObject<T>(key: string, read: (file: string, info: ObjectInfo) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const loc = await this.locate(key);
      if (!loc) throw new NotFound(`no object ${key} in ${this.uri}`);
      try {
        const { size } = await fs.promises.stat(loc.file);
        return await read(loc.file, { key, sha256: loc.sha256, sizeBytes: size });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound(`no object ${key} in ${this.uri}`, { cause: err });
        throw err;
      }
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      return await this.withObject(key, async (_file, info) => info);
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  async get(key: string, opts: { expectSha256?: string } = {}): Promise<Buffer> {
    return this.withObject(key, async (file, info) => {
      const buf = await fs.promises.readFile(file);
      verify(this.uri, { ...info, sizeBytes: buf.length }, sha256Hex(buf), buf.length, opts.expectSha256);
      return buf;
    });
  }

  async download(key: string, filePath: string, opts: { expectSha256?: string } = {}): Promise<ObjectInfo> {
    return this.withObject(key, async (file, info) => {
      const tmp = this.tmpPath(filePath);
      try {
        const got = await spoolToFile(fs.createReadStream(file), tmp);
        verify(this.uri, { ...info, sizeBytes: got.sizeBytes }, got.sha256, got.sizeBytes, opts.expectSha256);
        await fs.promises.rename(tmp, filePath);
      } finally {
        await fs.promises.rm(tmp, { force: true });
      }
      return info;
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        if (e.name.startsWith('.fsfm-') || e.name.includes('.fsfm-tmp-')) continue;
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          // Descend only into folders that can hold keys under the prefix.
          const d = `${childRel}/`;
          if (d.startsWith(prefix) || prefix.startsWith(d)) await walk(path.join(dir, e.name), childRel);
        } else if (childRel.startsWith(prefix)) {
          const info = await this.stat(childRel);
          if (info) out.push(info);
        }
      }
    };
    await walk(this.root, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    try {
      const blob = await this.target(key);
      await fs.promises.rm(this.linkPath(key), { force: true });
      if (blob) await fs.promises.rm(blob, { force: true });
      await fs.promises.rm(this.legacyMetaPath(key), { force: true });
    } catch (err) {
      throw storeWriteError(err, `delete ${key} in ${this.uri}`);
    }
  }
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT when an ancestor is on a read-only file
 * system, so on ENOENT the missing folders are made one by one, which fails with EROFS (or EACCES) where it should.
 */
async function mkdirs(dir: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      await fs.promises.mkdir(d).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
  }
}

export function verify(uri: string, info: ObjectInfo, gotSha: string, gotSize: number, expectSha256?: string): void {
  if (gotSha !== info.sha256 || gotSize !== info.sizeBytes) {
    throw new IntegrityError(`object ${info.key} in ${uri} is corrupt: read ${gotSize} bytes with sha256 ${gotSha}, recorded ${info.sizeBytes} bytes with sha256 ${info.sha256}`);
  }
  if (expectSha256 && gotSha !== expectSha256) {
    throw new IntegrityError(`object ${info.key} in ${uri} has sha256 ${gotSha}, but ${expectSha256} was expected (it was overwritten or the reference is stale)`);
  }
}
