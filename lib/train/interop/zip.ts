/**
 * A read-only ZIP reader for torch.save archives (and any other zip): central directory with ZIP64, stored and
 * deflated entries, CRC-32 checked. Reads by offset, so a multi-GB checkpoint is never loaded whole.
 */
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import { IntegrityError } from '../../errors.js';
import { DecodeBudget, WeightFileTooLarge } from './limits.js';

export interface RandomAccess {
  readonly sizeBytes: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function bufferAccess(buf: Buffer): RandomAccess {
  return {
    sizeBytes: buf.length,
    async read(offset, length) {
      if (offset < 0 || offset + length > buf.length) throw new IntegrityError(`zip read past the end (${offset}+${length} of ${buf.length})`);
      return buf.subarray(offset, offset + length);
    },
    async close() {},
  };
}

export async function fileAccess(filePath: string): Promise<RandomAccess> {
  const fh = await open(filePath, 'r');
  const { size } = await fh.stat();
  return {
    sizeBytes: size,
    async read(offset, length) {
      const out = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new IntegrityError(`${filePath}: unexpected end of file at ${offset + done}`);
        done += bytesRead;
      }
      return out;
    },
    close: () => fh.close(),
  };
}

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

export class ZipReader {
  private constructor(
    private readonly src: RandomAccess,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  static async open(src: RandomAccess): Promise<ZipReader> {
    const tailLength = Math.min(src.sizeBytes, 22 + 0xffff);
    const tail = await src.read(src.sizeBytes - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new IntegrityError('not a zip archive (no end-of-central-directory record); legacy non-zip torch.save files are not supported');
    let count = tail.readUInt16LE(at + 10);
    let cdSize = tail.readUInt32LE(at + 12);
    let cdOffset = tail.readUInt32LE(at + 16);
    const eocdPos = src.sizeBytes - tailLength + at;
    if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
      const locator = await src.read(eocdPos - 20, 20);
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new IntegrityError('zip64 archive without a zip64 locator');
      const z64 = await src.read(num64(locator, 8), 56);
      if (z64.readUInt32LE(0) !== ZIP64_EOCD) throw new IntegrityError('zip64 end-of-central-directory record not found');
      count = num64(z64, 32);
      cdSize = num64(z64, 40);
      cdOffset = num64(z64, 48);
    }
    if (cdOffset + cdSize > src.sizeBytes) throw new IntegrityError(`zip central directory [${cdOffset}, +${cdSize}) lies outside the ${src.sizeBytes}-byte file`);
    const cd = await src.read(cdOffset, cdSize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL) throw new IntegrityError(`zip central directory entry ${i} is corrupt`);
      const method = cd.readUInt16LE(p + 10);
      const crc32 = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
      // ZIP64 extra field: the 64-bit values of exactly the fields that read 0xFFFFFFFF, in this order.
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const size = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncompressedSize === MAX32) (uncompressedSize = num64(cd, q)), (q += 8);
          if (compressedSize === MAX32) (compressedSize = num64(cd, q)), (q += 8);
          if (localHeaderOffset === MAX32) localHeaderOffset = num64(cd, q);
        }
        e += 4 + size;
      }
      entries.set(name, { name, method, crc32, compressedSize, uncompressedSize, localHeaderOffset });
      p = extraEnd + commentLength;
    }
    return new ZipReader(src, entries);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * An entry's bytes, inflated if needed and checked against its CRC-32. The declared size is charged to `budget`
   * (when given) before anything is allocated, the compressed bytes must lie inside the file, and inflation stops
   * at the declared size: an entry that inflates past it (a deflate bomb) is refused, not decompressed.
   */
  async read(name: string, budget?: DecodeBudget): Promise<Buffer> {
    const entry = this.entries.get(name);
    if (!entry) throw new IntegrityError(`zip has no entry ${name}`);
    budget?.take(entry.uncompressedSize, `zip entry ${name}`);
    if (entry.localHeaderOffset + 30 > this.src.sizeBytes) throw new IntegrityError(`zip entry ${name}: local header outside the file`);
    const local = await this.src.read(entry.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new IntegrityError(`zip entry ${name}: local header not found`);
    // The local extra field may differ from the central one (torch pads it to align the data to 64 bytes).
    const dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (dataStart + entry.compressedSize > this.src.sizeBytes) throw new IntegrityError(`zip entry ${name}: ${entry.compressedSize} compressed bytes run past the end of the file`);
    if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) throw new IntegrityError(`zip entry ${name}: stored entry with different sizes`);
    const raw = await this.src.read(dataStart, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      try {
        // maxOutputLength one past the declared size: a longer output is a lie about the size, caught below.
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize + 1) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new WeightFileTooLarge(`zip entry ${name} inflates past its declared ${entry.uncompressedSize} bytes (a deflate bomb or a corrupt file); refused`);
        }
        throw new IntegrityError(`zip entry ${name}: cannot inflate (${(err as Error).message})`, { cause: err });
      }
    } else throw new IntegrityError(`zip entry ${name}: compression method ${entry.method} is not supported`);
    if (data.length !== entry.uncompressedSize) throw new IntegrityError(`zip entry ${name}: ${data.length} bytes, expected ${entry.uncompressedSize}`);
    // torch can be told not to compute CRCs (its save config `compute_crc32`), which leaves the field 0.
    if (entry.crc32 !== 0 && (zlib.crc32(data) >>> 0) !== entry.crc32) throw new IntegrityError(`zip entry ${name}: CRC-32 mismatch (corrupt file)`);
    return data;
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

function num64(buf: Buffer, offset: number): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new IntegrityError('zip64 value beyond 2^53');
  return Number(v);
}
