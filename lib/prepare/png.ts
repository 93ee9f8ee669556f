/**
 * The PNG encodings of prepared faces and region maps. prepareVideo and encodeShard use the same encoder settings,
 * so a face stored by prepareVideo and the same pixels encoded by encodeShard are the same bytes (packShards copies
 * stored PNGs into shards without decoding them).
 */
import sharp from 'sharp';
import { IntegrityError, InvalidConfig } from '../errors.js';
import { MAX_LAPA_ID } from '../faces/region-map.js';

// Explicit so a change of sharp's defaults cannot silently change the bytes (and so the content keys' meaning).
// Measured on 224 px faces: adaptive filtering halves the size (~50 KiB instead of ~100) for ~4 ms more per encode
// and the same decode time; maps are flat label regions where level 6 without filtering is 2.5x faster than level 9
// at 6 % more bytes (~1.3 KB).
const FACE_PNG = { compressionLevel: 6, adaptiveFiltering: true, palette: false } as const;
const MAP_PNG = { compressionLevel: 6, adaptiveFiltering: false, palette: false } as const;

/** rgb: [sizePx, sizePx, 3] uint8 -> RGB PNG. */
export async function encodeFacePng(rgb: Uint8Array, sizePx: number): Promise<Buffer> {
  if (rgb.length !== sizePx * sizePx * 3) {
    throw new InvalidConfig(`face image holds ${rgb.length} bytes, ${sizePx}x${sizePx}x3 needs ${sizePx * sizePx * 3}`);
  }
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: sizePx, height: sizePx, channels: 3 } })
    .png(FACE_PNG)
    .toBuffer();
}

/** map: [sizePx, sizePx] LaPa ids -> 8-bit greyscale PNG (lossless; lib/faces' decodeRegionMapPng reads it). */
export async function encodeMapPng(map: Uint8Array, sizePx: number): Promise<Buffer> {
  if (map.length !== sizePx * sizePx) {
    throw new InvalidConfig(`region map holds ${map.length} values, ${sizePx}x${sizePx} needs ${sizePx * sizePx}`);
  }
  for (let i = 0; i < map.length; i++) {
    if (map[i] > MAX_LAPA_ID) throw new InvalidConfig(`region map value ${map[i]} at index ${i} is not a LaPa id (0..${MAX_LAPA_ID})`);
  }
  return sharp(Buffer.from(map.buffer, map.byteOffset, map.byteLength), { raw: { width: sizePx, height: sizePx, channels: 1 } })
    .toColourspace('b-w') // without it sharp writes the single channel as RGB
    .png(MAP_PNG)
    .toBuffer();
}

/** RGB PNG -> [sizePx, sizePx, 3] uint8; anything else is an IntegrityError (shards hold only what we wrote). */
export async function decodeFacePng(png: Uint8Array, sizePx: number, what: string): Promise<Uint8Array> {
  const { data, info } = await decodeRaw(png, what);
  if (info.channels !== 3 || info.width !== sizePx || info.height !== sizePx) {
    throw new IntegrityError(`${what}: face PNG is ${info.width}x${info.height}x${info.channels}, expected ${sizePx}x${sizePx}x3`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Greyscale PNG -> [sizePx, sizePx] LaPa ids. */
export async function decodeMapPng(png: Uint8Array, sizePx: number, what: string): Promise<Uint8Array> {
  const { data, info } = await decodeRaw(png, what, true);
  if (info.channels !== 1 || info.width !== sizePx || info.height !== sizePx) {
    throw new IntegrityError(`${what}: region map PNG is ${info.width}x${info.height}x${info.channels}, expected ${sizePx}x${sizePx}x1`);
  }
  for (let i = 0; i < data.length; i++) {
    if (data[i] > MAX_LAPA_ID) throw new IntegrityError(`${what}: region map value ${data[i]} is not a LaPa id`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

async function decodeRaw(png: Uint8Array, what: string, grey = false) {
  try {
    let pipeline = sharp(Buffer.from(png.buffer, png.byteOffset, png.byteLength), { failOn: 'error' });
    // Without b-w sharp expands a single channel to sRGB on output.
    if (grey) pipeline = pipeline.toColourspace('b-w');
    return await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new IntegrityError(`${what}: PNG cannot be decoded: ${(cause as Error).message}`, { cause });
  }
}
