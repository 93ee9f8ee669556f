/**
 * file://DIR backend. Data lives at DIR/<key>; its record (sha256, size) at DIR/.fsfm-meta/<key>.json.
 * The record is renamed into place after the data, so an object exists only once both are complete.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { IntegrityError, NotFound } from '../errors';
import { sha256Hex, spoolToFile, toBuffer } from './hashing';
import { checkKey, type ArtifactStore, type Body, type ObjectInfo } from './types';

const META = '.fsfm-meta';

export class FileStore implements ArtifactStore {
  readonly uri: string;
  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.uri = `file://${this.root}`;
  }

  private dataPath(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  private metaPath(key: string): string {
    return path.join(this.root, META, ...checkKey(key).split('/')) + '.json';
  }

  private tmpPath(target: string): string {
    return `${target}.fsfm-tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  }

  async put(key: string, body: Body): Promise<ObjectInfo> {
    const dataPath = this.dataPath(key);
    const metaPath = this.metaPath(key);
    await fs.promises.mkdir(path.dirname(dataPath), { recursive: true });
    await fs.promises.mkdir(path.dirname(metaPath), { recursive: true });
    const tmp = this.tmpPath(dataPath);
    let info: ObjectInfo;
    try {
      if (body instanceof Readable) {
        const { sha256, sizeBytes } = await spoolToFile(body, tmp);
        info = { key, sizeBytes, sha256 };
      } else {
        const buf = toBuffer(body);
        await fs.promises.writeFile(tmp, buf);
        info = { key, sizeBytes: buf.length, sha256: sha256Hex(buf) };
      }
      const metaTmp = this.tmpPath(metaPath);
      await fs.promises.writeFile(metaTmp, JSON.stringify({ sha256: info.sha256, sizeBytes: info.sizeBytes }));
      await fs.promises.rename(tmp, dataPath);
      await fs.promises.rename(metaTmp, metaPath);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    return info;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const meta = JSON.parse(await fs.promises.readFile(this.metaPath(key), 'utf8')) as { sha256: string; sizeBytes: number };
      if (!fs.existsSync(this.dataPath(key))) return null;
      return { key, sha256: meta.sha256, sizeBytes: meta.sizeBytes };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private async requireStat(key: string): Promise<ObjectInfo> {
    const info = await this.stat(key);
    if (!info) throw new NotFound(`no object ${key} in ${this.uri}`);
    return info;
  }

  async get(key: string, opts: { expectSha256?: string } = {}): Promise<Buffer> {
    const info = await this.requireStat(key);
    const buf = await fs.promises.readFile(this.dataPath(key));
    verify(this.uri, info, sha256Hex(buf), buf.length, opts.expectSha256);
    return buf;
  }

  async download(key: string, filePath: string, opts: { expectSha256?: string } = {}): Promise<ObjectInfo> {
    const info = await this.requireStat(key);
    const tmp = this.tmpPath(filePath);
    try {
      const got = await spoolToFile(fs.createReadStream(this.dataPath(key)), tmp);
      verify(this.uri, info, got.sha256, got.sizeBytes, opts.expectSha256);
      await fs.promises.rename(tmp, filePath);
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
    return info;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const metaRoot = path.join(this.root, META);
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
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          // Descend only into folders that can hold keys under the prefix.
          const d = `${childRel}/`;
          if (d.startsWith(prefix) || prefix.startsWith(d)) await walk(path.join(dir, e.name), childRel);
        } else if (e.name.endsWith('.json') && !e.name.includes('.fsfm-tmp-')) {
          const key = childRel.slice(0, -'.json'.length);
          if (!key.startsWith(prefix)) continue;
          const info = await this.stat(key);
          if (info) out.push(info);
        }
      }
    };
    await walk(metaRoot, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.metaPath(key), { force: true });
    await fs.promises.rm(this.dataPath(key), { force: true });
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
