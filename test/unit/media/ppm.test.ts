import { describe, expect, it } from 'vitest';
import { PpmStreamParser } from '../../../lib/media/ppm.js';

function ppm(width: number, height: number, seed: number): { bytes: Buffer; rgb: Buffer } {
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 31 + seed * 7) & 0xff;
  // Pixel bytes that look like header text (digits, spaces) must not confuse the parser.
  rgb[0] = 0x20;
  rgb[1] = 0x35;
  return { bytes: Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), rgb]), rgb };
}

describe('PpmStreamParser', () => {
  const frames = [ppm(4, 3, 1), ppm(4, 3, 2), ppm(2, 5, 3)];
  const stream = Buffer.concat(frames.map((f) => f.bytes));

  it('splits a stream of P6 images into frames whatever the chunk boundaries', () => {
    for (const chunkSize of [1, 2, 7, 13, 64, stream.length]) {
      const parser = new PpmStreamParser();
      const out = [];
      for (let i = 0; i < stream.length; i += chunkSize) out.push(...parser.push(stream.subarray(i, i + chunkSize)));
      expect(out.map((f) => [f.widthPx, f.heightPx])).toEqual([[4, 3], [4, 3], [2, 5]]);
      out.forEach((f, i) => expect(f.rgb.equals(frames[i].rgb)).toBe(true));
      expect(parser.partialBytes).toBe(0);
    }
  });

  it('reports a frame cut off at the end of the stream', () => {
    const parser = new PpmStreamParser();
    expect(parser.push(stream.subarray(0, frames[0].bytes.length + 20))).toHaveLength(1);
    expect(parser.partialBytes).toBeGreaterThan(0);
  });

  it('rejects bytes that are not binary PPM', () => {
    expect(() => new PpmStreamParser().push(Buffer.from('GIF89a....'))).toThrow(/not binary PPM/);
    expect(() => new PpmStreamParser().push(Buffer.from('P6\n4x3 255\n'))).toThrow(/malformed/);
  });
});
