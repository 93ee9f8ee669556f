import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig, InvalidPath } from '../../../lib/errors.js';
import {
  decodeRegionMapPng,
  encodeRegionMapPng,
  parseRegionMapNpy,
  readRegionMapNpy,
} from '../../../lib/faces/index.js';

const SIZE = 224;

/** Every LaPa id in stripes plus a deterministic scatter, so order and values both matter. */
function labelMap(size = SIZE): Uint8Array {
  const map = new Uint8Array(size * size);
  for (let i = 0; i < map.length; i++) map[i] = ((i * 7919) >>> 3) % 11;
  return map;
}

/** A .npy file as numpy.save writes it: magic, version, padded header dict, raw data. */
function npy(data: Uint8Array, descr: string, shape: number[], options: { version?: 1 | 2; fortran?: boolean } = {}): Buffer {
  const version = options.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  header += ' '.repeat(63 - ((prefix + header.length) % 64)) + '\n';
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data)]);
}

describe('region map PNG storage', () => {
  it('round-trips every pixel of a 224x224 map exactly', async () => {
    const map = labelMap();
    const png = await encodeRegionMapPng(map);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.channels).toBe(1);
    expect(meta.depth).toBe('uchar');
    const back = await decodeRegionMapPng(png);
    expect(back).toEqual(map);
  });

  it('rejects values that are not LaPa ids, colour PNGs and wrong sizes', async () => {
    const bad = labelMap();
    bad[500] = 11;
    await expect(encodeRegionMapPng(bad)).rejects.toThrow(/value 11 at index 500/);
    const rgbPng = await sharp({ create: { width: SIZE, height: SIZE, channels: 3, background: '#010101' } }).png().toBuffer();
    await expect(decodeRegionMapPng(rgbPng)).rejects.toThrow(/8-bit greyscale/);
    const small = await encodeRegionMapPng(labelMap(32), 32);
    await expect(decodeRegionMapPng(small)).rejects.toThrow(/32x32, expected 224x224/);
    await expect(decodeRegionMapPng(Buffer.from('not a png'))).rejects.toThrow(InvalidConfig);
  });
});

describe('external parser maps (.npy)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fsfm-faces-npy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an int8 1x224x224 map written to disk (the reference parser output)', async () => {
    const map = labelMap();
    const file = path.join(dir, 'parser.npy');
    await writeFile(file, npy(map, '|i1', [1, SIZE, SIZE]));
    expect(await readRegionMapNpy(file)).toEqual(map);
  });

  it('reads uint8 224x224 maps in format version 2', () => {
    const map = labelMap();
    expect(parseRegionMapNpy(npy(map, '|u1', [SIZE, SIZE], { version: 2 }))).toEqual(map);
  });

  it('transposes Fortran-ordered maps into row-major order', () => {
    const map = labelMap();
    const columnMajor = new Uint8Array(map.length);
    for (let row = 0; row < SIZE; row++) for (let col = 0; col < SIZE; col++) columnMajor[col * SIZE + row] = map[row * SIZE + col];
    expect(parseRegionMapNpy(npy(columnMajor, '|i1', [1, SIZE, SIZE], { fortran: true }))).toEqual(map);
  });

  it('rejects other dtypes, shapes, negative or out-of-range labels, truncation and non-npy bytes', async () => {
    const map = labelMap();
    expect(() => parseRegionMapNpy(npy(new Uint8Array(map.length * 4), '<f4', [1, SIZE, SIZE]))).toThrow(
      /dtype '<f4' is not supported; expected int8 or uint8/,
    );
    expect(() => parseRegionMapNpy(npy(map, '|i1', [2, SIZE, SIZE / 2]))).toThrow(/shape \(2, 224, 112\)/);
    expect(() => parseRegionMapNpy(npy(map.subarray(0, SIZE * 10), '|u1', [10, SIZE]))).toThrow(/shape \(10, 224\)/);
    const negative = labelMap();
    negative[3] = 255; // -1 as int8
    expect(() => parseRegionMapNpy(npy(negative, '|i1', [1, SIZE, SIZE]))).toThrow(/value -1 at index 3/);
    const tooBig = labelMap();
    tooBig[9] = 19;
    expect(() => parseRegionMapNpy(npy(tooBig, '|u1', [SIZE, SIZE]))).toThrow(/value 19 at index 9/);
    expect(() => parseRegionMapNpy(npy(map.subarray(0, 1000), '|u1', [SIZE, SIZE]))).toThrow(/1000 data bytes/);
    expect(() => parseRegionMapNpy(Buffer.from('PK\x03\x04 not numpy'))).toThrow(/bad magic/);
    await expect(readRegionMapNpy(path.join(dir, 'missing.npy'))).rejects.toThrow(InvalidPath);
  });
});
