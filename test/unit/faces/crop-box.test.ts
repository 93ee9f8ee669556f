import { describe, expect, it } from 'vitest';
import { cropBox, pickFace, type Box } from '../../../lib/faces/index.js';

const box = (left: number, top: number, right: number, bottom: number): Box => ({ left, top, right, bottom });

describe('cropBox (FF++ get_boundingbox, the reference crop)', () => {
  // Expected values computed with the reference's Python get_boundingbox (scale 1.3).
  it.each([
    ['a centred box: size truncates 279.5 to 279', box(376, 376, 591, 591), 1920, 1280, { x: 344, y: 344, sizePx: 279 }],
    ['a box past the left and top edges clamps the corner to 0', box(-20, 10, 100, 90), 640, 480, { x: 0, y: 0, sizePx: 156 }],
    ['a box near the bottom-right corner shrinks to fit', box(600, 400, 700, 500), 640, 480, { x: 585, y: 385, sizePx: 55 }],
    ['a taller-than-wide box uses the height', box(101, 50, 204, 170), 640, 480, { x: 74, y: 32, sizePx: 156 }],
    ['a tiny box: int(3 * 1.3) = 3, centre floors', box(10, 20, 13, 22), 640, 480, { x: 10, y: 20, sizePx: 3 }],
    ['a box above the frame clamps y only', box(300, -40, 420, 60), 640, 480, { x: 282, y: 0, sizePx: 156 }],
  ])('%s', (_name, b, widthPx, heightPx, expected) => {
    expect(cropBox(b, widthPx, heightPx)).toEqual(expected);
  });

  it('always returns a square inside the frame for boxes that overlap it', () => {
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 500; i++) {
      const left = Math.floor(random() * 700) - 50;
      const top = Math.floor(random() * 500) - 50;
      const side = 5 + Math.floor(random() * 300);
      const crop = cropBox(box(left, top, left + side, top + side), 640, 480);
      if (left + side / 2 >= 640 || top + side / 2 >= 480) continue;
      expect(crop.x).toBeGreaterThanOrEqual(0);
      expect(crop.y).toBeGreaterThanOrEqual(0);
      expect(crop.x + crop.sizePx).toBeLessThanOrEqual(640);
      expect(crop.y + crop.sizePx).toBeLessThanOrEqual(480);
      expect(crop.sizePx).toBeLessThanOrEqual(Math.trunc(side * 1.3));
    }
  });
});

describe('pickFace', () => {
  const faces = [
    { id: 'a', box: box(0, 0, 49, 49) },
    { id: 'b', box: box(100, 100, 179, 179) },
    { id: 'c', box: box(300, 300, 379, 379) },
  ];

  it("'first' keeps the detector's first (highest-scoring) face", () => {
    expect(pickFace(faces, 'first')?.id).toBe('a');
  });

  it("'largest' keeps the largest box, the earliest of equal ones", () => {
    expect(pickFace(faces, 'largest')?.id).toBe('b');
    expect(pickFace([...faces, { id: 'd', box: box(0, 0, 199, 9) }], 'largest')?.id).toBe('b');
  });

  it('returns undefined when there is no face', () => {
    expect(pickFace([], 'largest')).toBeUndefined();
    expect(pickFace([], 'first')).toBeUndefined();
  });
});
