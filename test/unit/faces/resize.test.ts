/**
 * Pixel-exact geometry of the face resize: pixel centres map onto pixel centres (u + 0.5 = (x + 0.5) * out / in),
 * checked with impulses (the centroid of the response) when enlarging and shrinking, on off-centre crops of a
 * frame, and against toCropCoordinates, which maps landmarks into the stored image.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { cropSquare, resizeSquare, toCropCoordinates, type RgbImage } from '../../../lib/faces/index.js';
import { resizeBicubic } from '../../../lib/faces/resize.js';

/** Where a centre-aligned resize puts input coordinate x (pixel centres at integers). */
const mapped = (x: number, inPx: number, outPx: number) => ((x + 0.5) * outPx) / inPx - 0.5;

function blank(widthPx: number, heightPx: number): RgbImage {
  return { rgb: Buffer.alloc(widthPx * heightPx * 3), widthPx, heightPx };
}

function setPixel(image: RgbImage, x: number, y: number, value: number): void {
  image.rgb.fill(value, (y * image.widthPx + x) * 3, (y * image.widthPx + x) * 3 + 3);
}

/** Intensity-weighted centroid of the first channel. */
function centroid(image: RgbImage): [number, number] {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < image.heightPx; y++) {
    for (let x = 0; x < image.widthPx; x++) {
      const v = image.rgb[(y * image.widthPx + x) * 3];
      sum += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return [sx / sum, sy / sum];
}

describe('resizeSquare (centre-aligned bicubic)', () => {
  it('puts an impulse at 20 of 46 px at 99.33 of 224 when enlarging (the half-pixel shift put it at 99.82)', () => {
    const image = blank(46, 46);
    setPixel(image, 20, 20, 255);
    const [cx, cy] = centroid(resizeSquare(image, 224));
    expect(mapped(20, 46, 224)).toBeCloseTo(99.326, 3);
    expect(Math.abs(cx - mapped(20, 46, 224))).toBeLessThan(0.05);
    expect(Math.abs(cy - mapped(20, 46, 224))).toBeLessThan(0.05);
  });

  it('keeps impulse positions at every offset, enlarging and shrinking, within 0.05 px', () => {
    for (const sidePx of [31, 46, 117, 300, 451]) {
      for (const x of [3, Math.floor(sidePx / 3), Math.floor(sidePx / 2), sidePx - 5]) {
        const y = sidePx - 1 - x;
        const image = blank(sidePx, sidePx);
        // A 3x3 block: shrinking by ~2x spreads a single pixel below the 8-bit floor.
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) setPixel(image, x + dx, y + dy, 250);
        const [cx, cy] = centroid(resizeSquare(image, 224));
        expect(Math.abs(cx - mapped(x, sidePx, 224)), `${sidePx}px, x ${x}`).toBeLessThan(0.05);
        expect(Math.abs(cy - mapped(y, sidePx, 224)), `${sidePx}px, y ${y}`).toBeLessThan(0.05);
      }
    }
  });

  it('maps a point of an off-centre crop where toCropCoordinates says (landmarks and region maps line up)', () => {
    const frame = blank(320, 240);
    const point: [number, number] = [201, 97];
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) setPixel(frame, point[0] + dx, point[1] + dy, 240);
    for (const crop of [
      { x: 150, y: 60, sizePx: 70 }, // enlarged 3.2x
      { x: 80, y: 0, sizePx: 240 }, // shrunk, touching the top and bottom edges
      { x: 190, y: 90, sizePx: 41 },
    ]) {
      const face = resizeSquare(cropSquare(frame, crop), 224);
      const [[ex, ey]] = toCropCoordinates([point], crop, 224);
      const [cx, cy] = centroid(face);
      expect(Math.abs(cx - ex), JSON.stringify(crop)).toBeLessThan(0.06);
      expect(Math.abs(cy - ey), JSON.stringify(crop)).toBeLessThan(0.06);
    }
  });

  it('keeps flat colour flat, returns a copy at the same size and resizes each axis on its own', () => {
    const grey = { rgb: Buffer.alloc(37 * 37 * 3, 131), widthPx: 37, heightPx: 37 };
    expect(resizeSquare(grey, 224).rgb.every((v) => v === 131)).toBe(true);
    const same = resizeSquare(grey, 37);
    expect(same.rgb).toEqual(grey.rgb);
    expect(same.rgb).not.toBe(grey.rgb);
    // Only the width changes: every output row is the resized input row.
    const ramp = Buffer.alloc(10 * 4);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 10; x++) ramp[y * 10 + x] = x * 20 + y;
    const wide = resizeBicubic(ramp, 10, 4, 25, 4, 1);
    for (let y = 0; y < 4; y++) {
      expect(Array.from(wide.subarray(y * 25, y * 25 + 25))).toEqual(Array.from(resizeBicubic(ramp.subarray(y * 10, y * 10 + 10), 10, 1, 25, 1, 1)));
    }
  });

  it('rejects sizes that do not match the buffer', () => {
    expect(() => resizeBicubic(Buffer.alloc(10), 2, 2, 4, 4)).toThrow(InvalidConfig);
    expect(() => resizeBicubic(Buffer.alloc(12), 2, 2, 0, 4)).toThrow(/outW must be a positive integer/);
  });
});
