import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { fillPolygon, labelHistogram, pointInPolygon, regionMap, type Point, type Polygon } from '../../../lib/faces/index.js';

describe('fillPolygon (scanline fill at pixel centres)', () => {
  it('fills exactly the pixel centres inside an axis-aligned rectangle', () => {
    const map = new Uint8Array(16 * 16);
    // Centres 2..5 in x and 3..6 in y lie inside [1.5, 5.5] x [2.5, 6.5].
    fillPolygon(map, 16, [[1.5, 2.5], [5.5, 2.5], [5.5, 6.5], [1.5, 6.5]], 7);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        expect(map[y * 16 + x], `pixel ${x},${y}`).toBe(x >= 2 && x <= 5 && y >= 3 && y <= 6 ? 7 : 0);
      }
    }
  });

  it('gives a triangle about its geometric area and agrees with pointInPolygon pixel by pixel', () => {
    const size = 64;
    const triangle: Polygon = [[3.3, 4.1], [60.2, 10.7], [20.9, 58.4]];
    const map = new Uint8Array(size * size);
    fillPolygon(map, size, triangle, 1);
    const area = Math.abs((60.2 - 3.3) * (58.4 - 4.1) - (20.9 - 3.3) * (10.7 - 4.1)) / 2;
    const filled = labelHistogram(map)[1];
    expect(Math.abs(filled - area) / area).toBeLessThan(0.03);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) expect(map[y * size + x] === 1).toBe(pointInPolygon([x, y], triangle));
  });

  it('clips polygons that leave the map', () => {
    const map = new Uint8Array(8 * 8);
    fillPolygon(map, 8, [[-10, -10], [20, -10], [20, 20], [-10, 20]], 3);
    expect(labelHistogram(map)[3]).toBe(64);
  });
});

describe('regionMap input checks', () => {
  it('rejects anything but 68 finite landmarks', () => {
    const points: Point[] = Array.from({ length: 67 }, (_, i) => [i, i]);
    expect(() => regionMap(points)).toThrow(InvalidConfig);
    expect(() => regionMap([...points, [Number.NaN, 1]])).toThrow(/68 finite/);
  });
});
