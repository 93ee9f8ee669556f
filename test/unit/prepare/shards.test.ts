import { describe, expect, it } from 'vitest';
import { IntegrityError, InvalidConfig } from '../../../lib/errors.js';
import {
  decodeShard,
  decodeShardWhere,
  encodeShard,
  readShardIndex,
  SHARD_MAGIC,
  type ShardRecord,
} from '../../../lib/prepare/index.js';

/** Deterministic pixels that differ per record and per position (smooth enough to compress like a face). */
function record(i: number, sizePx = 32, opts: { method?: string; map?: boolean; split?: string } = {}): ShardRecord {
  const image = new Uint8Array(sizePx * sizePx * 3);
  for (let y = 0; y < sizePx; y++) {
    for (let x = 0; x < sizePx; x++) {
      const o = (y * sizePx + x) * 3;
      image[o] = (x * 7 + i * 13) & 255;
      image[o + 1] = (y * 5 + i * 29) & 255;
      image[o + 2] = ((x ^ y) + i) & 255;
    }
  }
  const regionMap = new Uint8Array(opts.map === false ? 0 : sizePx * sizePx);
  for (let k = 0; k < regionMap.length; k++) regionMap[k] = (k + i) % 11;
  const r: ShardRecord = {
    faceId: `ds/v${i}.mp4#${i * 4}`,
    dataset: 'ds',
    videoId: `ds/v${i}.mp4`,
    label: i % 2 ? 'fake' : 'real',
    split: opts.split ?? (i < 3 ? 'train' : 'test'),
    group: `ds/v${i}.mp4`,
    frameIndex: i * 4,
    sizePx,
    image,
    regionMap,
  };
  if (opts.method) r.method = opts.method;
  return r;
}

describe('shard format', () => {
  it('round-trips records byte-exactly: decode(encode(r)) = r and encode(decode(b)) = b', async () => {
    const records = [record(0), record(1, 32, { method: 'Deepfakes' }), record(2), record(3, 32, { map: false })];
    const buf = await encodeShard(records);
    expect(buf.subarray(0, 8).toString('latin1')).toBe(SHARD_MAGIC);
    expect(buf.readUInt32LE(8)).toBe(1);
    const decoded = await decodeShard(buf);
    expect(decoded).toHaveLength(records.length);
    for (let i = 0; i < records.length; i++) {
      expect(Buffer.from(decoded[i].image).equals(Buffer.from(records[i].image))).toBe(true);
      expect(Buffer.from(decoded[i].regionMap).equals(Buffer.from(records[i].regionMap))).toBe(true);
      const { image: _a, regionMap: _b, ...meta } = decoded[i];
      const { image: _c, regionMap: _d, ...expected } = records[i];
      expect(meta).toEqual(expected);
    }
    expect((await encodeShard(decoded)).equals(buf)).toBe(true);
  });

  it('encodes the same records to the same bytes every time (no time or machine in a shard)', async () => {
    const a = await encodeShard([record(5), record(6)]);
    const b = await encodeShard([record(5), record(6)]);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(await encodeShard([record(6), record(5)]))).toBe(false);
  });

  it('reads the index from the header without decoding any PNG', async () => {
    const buf = await encodeShard([record(0), record(1, 32, { method: 'FaceSwap' })]);
    const headerEnd = 16 + buf.readUInt32LE(12);
    // Blobs zeroed: an index read must not look at them.
    const headerOnly = Buffer.concat([buf.subarray(0, headerEnd), Buffer.alloc(buf.length - headerEnd)]);
    expect(readShardIndex(headerOnly)).toEqual([
      { faceId: 'ds/v0.mp4#0', dataset: 'ds', videoId: 'ds/v0.mp4', label: 'real', split: 'train', group: 'ds/v0.mp4', frameIndex: 0, sizePx: 32 },
      { faceId: 'ds/v1.mp4#4', dataset: 'ds', videoId: 'ds/v1.mp4', label: 'fake', split: 'train', group: 'ds/v1.mp4', frameIndex: 4, sizePx: 32, method: 'FaceSwap' },
    ]);
    await expect(decodeShard(headerOnly)).rejects.toThrow(IntegrityError);
  });

  it('decodes only the records a filter keeps, in file order', async () => {
    const buf = await encodeShard([0, 1, 2, 3, 4].map((i) => record(i)));
    const test = await decodeShardWhere(buf, (m) => m.split === 'test');
    expect(test.map((r) => r.frameIndex)).toEqual([12, 16]);
  });

  it('rejects damaged files with IntegrityError: bad magic, unknown version, truncated header or blobs', async () => {
    const buf = await encodeShard([record(0), record(1)]);
    const bad = (mutate: (b: Buffer) => Buffer) => mutate(Buffer.from(buf));
    expect(() => readShardIndex(bad((b) => (b.write('XXXX', 0, 'latin1'), b)))).toThrow(IntegrityError);
    expect(() => readShardIndex(bad((b) => (b.writeUInt32LE(2, 8), b)))).toThrow(/version 2/);
    expect(() => readShardIndex(bad((b) => b.subarray(0, 40)))).toThrow(IntegrityError);
    expect(() => readShardIndex(bad((b) => b.subarray(0, b.length - 10)))).toThrow(/outside the file/);
  });

  it('refuses records whose pixel buffers do not match sizePx', async () => {
    const r = record(0);
    await expect(encodeShard([{ ...r, image: r.image.subarray(1) }])).rejects.toThrow(InvalidConfig);
    await expect(encodeShard([{ ...r, regionMap: r.regionMap.subarray(1) }])).rejects.toThrow(InvalidConfig);
  });

  it('decodes 96 records of 224 px back to the bytes that were encoded', async () => {
    const records = Array.from({ length: 96 }, (_, i) => record(i, 224));
    const decoded = await decodeShard(await encodeShard(records));
    expect(decoded).toHaveLength(96);
    for (const i of [0, 47, 95]) {
      expect(Buffer.from(decoded[i].image).equals(Buffer.from(records[i].image))).toBe(true);
      expect(Buffer.from(decoded[i].regionMap).equals(Buffer.from(records[i].regionMap))).toBe(true);
    }
  });
});
