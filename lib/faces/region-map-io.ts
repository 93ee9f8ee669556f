/**
 * Lossless storage of region maps (8-bit greyscale PNG) and import of external face-parser maps
 * saved with numpy (.npy, int8/uint8, shape 1 x S x S or S x S), so users who have the reference's
 * parser output can use it instead of the landmark polygons.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InvalidConfig, InvalidPath } from '../errors.js';
import { MAX_LAPA_ID } from './region-map.js';

function checkLabels(map: Uint8Array, what: string): void {
  for (let i = 0; i < map.length; i++) {
    if (map[i] > MAX_LAPA_ID) {
      throw new InvalidConfig(`${what}: value ${map[i]} at index ${i} is not a LaPa id (0..${MAX_LAPA_ID})`);
    }
  }
}

/** [sizePx * sizePx] uint8 -> greyscale 8-bit PNG bytes. */
export async function encodeRegionMapPng(map: Uint8Array, sizePx = 224): Promise<Buffer> {
  if (map.length !== sizePx * sizePx) {
    throw new InvalidConfig(`region map holds ${map.length} values, ${sizePx}x${sizePx} needs ${sizePx * sizePx}`);
  }
  checkLabels(map, 'region map');
  return sharp(Buffer.from(map.buffer, map.byteOffset, map.byteLength), {
    raw: { width: sizePx, height: sizePx, channels: 1 },
  })
    .toColourspace('b-w') // without it sharp writes the single channel as RGB
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
}

/** PNG bytes -> [sizePx * sizePx] uint8; rejects colour, 16-bit, other sizes and non-LaPa values. */
export async function decodeRegionMapPng(png: Buffer, sizePx = 224): Promise<Uint8Array> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(png).metadata();
  } catch (cause) {
    throw new InvalidConfig(`region map PNG cannot be decoded: ${(cause as Error).message}`, { cause });
  }
  if (metadata.format !== 'png' || metadata.channels !== 1 || metadata.depth !== 'uchar') {
    throw new InvalidConfig(
      `region map PNG must be an 8-bit greyscale PNG, got ${metadata.format} with ${metadata.channels} channels of ${metadata.depth}`,
    );
  }
  // Kept in b-w: sharp would otherwise expand the channel to sRGB on output.
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new InvalidConfig(`region map PNG decoded to ${info.channels} channels, expected 1`);
  if (info.width !== sizePx || info.height !== sizePx) {
    throw new InvalidConfig(`region map PNG is ${info.width}x${info.height}, expected ${sizePx}x${sizePx}`);
  }
  const map = new Uint8Array(data);
  checkLabels(map, 'region map PNG');
  return map;
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ONE_BYTE_DTYPES: Record<string, 'int8' | 'uint8'> = {
  '|i1': 'int8', '<i1': 'int8', '>i1': 'int8', '=i1': 'int8', i1: 'int8', '|b': 'int8', b: 'int8',
  '|u1': 'uint8', '<u1': 'uint8', '>u1': 'uint8', '=u1': 'uint8', u1: 'uint8', '|B': 'uint8', B: 'uint8',
};

/**
 * .npy bytes (format v1, v2 or v3; written by numpy.save) -> [sizePx * sizePx] uint8 LaPa ids.
 * Accepts int8 or uint8, shape (1, S, S) or (S, S), C or Fortran order.
 */
export function parseRegionMapNpy(bytes: Uint8Array, sizePx = 224): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) {
    throw new InvalidConfig('region map .npy: not a numpy .npy file (bad magic)');
  }
  const major = buf[6];
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerLength = buf.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new InvalidConfig('region map .npy: truncated header');
    headerLength = buf.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new InvalidConfig(`region map .npy: unsupported format version ${major}.${buf[7]} (1, 2 and 3 are)`);
  }
  const dataStart = headerStart + headerLength;
  if (buf.length < dataStart) throw new InvalidConfig('region map .npy: truncated header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, dataStart);

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InvalidConfig(`region map .npy: cannot read the header ${JSON.stringify(header.trim())}`);
  }
  const dtype = ONE_BYTE_DTYPES[descr];
  if (!dtype) throw new InvalidConfig(`region map .npy: dtype '${descr}' is not supported; expected int8 or uint8`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  const shapeOk =
    (shape.length === 3 && shape[0] === 1 && shape[1] === sizePx && shape[2] === sizePx) ||
    (shape.length === 2 && shape[0] === sizePx && shape[1] === sizePx);
  if (!shapeOk) {
    throw new InvalidConfig(
      `region map .npy: shape (${shape.join(', ')}) is not (1, ${sizePx}, ${sizePx}) or (${sizePx}, ${sizePx})`,
    );
  }
  const count = sizePx * sizePx;
  if (buf.length < dataStart + count) {
    throw new InvalidConfig(`region map .npy: ${buf.length - dataStart} data bytes, ${count} expected`);
  }
  const data = buf.subarray(dataStart, dataStart + count);
  const map = new Uint8Array(count);
  if (fortran === 'True') {
    // Column-major: element (row, col) sits at col * sizePx + row (a leading axis of 1 changes nothing).
    for (let row = 0; row < sizePx; row++) for (let col = 0; col < sizePx; col++) map[row * sizePx + col] = data[col * sizePx + row];
  } else {
    map.set(data);
  }
  if (dtype === 'int8') {
    const negative = map.findIndex((v) => v >= 128);
    if (negative >= 0) {
      throw new InvalidConfig(`region map .npy: value ${map[negative] - 256} at index ${negative} is not a LaPa id (0..${MAX_LAPA_ID})`);
    }
  }
  checkLabels(map, 'region map .npy');
  return map;
}

/** Reads an external parser map from a .npy file. */
export async function readRegionMapNpy(file: string, sizePx = 224): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new InvalidPath(`cannot read region map ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseRegionMapNpy(bytes, sizePx);
}
