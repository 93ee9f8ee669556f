import { describe, expect, it } from 'vitest';
import { type AxisTaps, resampleSeparable } from '../../../lib/faces/separable-resample.js';

/** Taps from [first, weights] per output index. */
function taps(...outputs: Array<[number, number[]]>): AxisTaps {
  const weights = outputs.flatMap(([, w]) => w);
  let at = 0;
  return {
    first: Int32Array.from(outputs.map(([f]) => f)),
    count: Int32Array.from(outputs.map(([, w]) => w.length)),
    offset: Int32Array.from(outputs.map(([, w]) => ((at += w.length), at - w.length))),
    weight: Float64Array.from(weights),
  };
}

// 3 × 2 pixels; channel values r = 10·x + y, g = 100 + r, b = 250 - r.
const image = {
  widthPx: 3,
  heightPx: 2,
  rgb: Buffer.from([0, 1].flatMap((y) => [0, 1, 2].flatMap((x) => [10 * x + y, 100 + 10 * x + y, 250 - 10 * x - y]))),
};

describe('resampleSeparable', () => {
  it('one tap of weight 1 per output copies the pixels it names', () => {
    const out = resampleSeparable(image, taps([2, [1]], [0, [1]]), taps([1, [1]]));
    expect(out).toMatchObject({ widthPx: 2, heightPx: 1 });
    expect([...out.rgb]).toEqual([21, 121, 229, 1, 101, 249]);
  });

  it('weights mix neighbours along each axis, rounded half up, reading only the rows the taps name', () => {
    // Width: outputs average pixels (0, 1) and (1, 2); height: one row, 3/4 of row 0 and 1/4 of row 1.
    const out = resampleSeparable(image, taps([0, [0.5, 0.5]], [1, [0.5, 0.5]]), taps([0, [0.75, 0.25]]));
    // r at x-pair (0,1): row 0 → 5, row 1 → 6; 0.75·5 + 0.25·6 = 5.25 → 5. Pair (1,2): 15, 16 → 15.25 → 15.
    expect([...out.rgb]).toEqual([5, 105, 245, 15, 115, 235]);
    // Halves round up: rows 0 and 1 of the pair (0, 1) average to r 5.5, g 105.5, b 244.5.
    const halves = resampleSeparable(image, taps([0, [0.5, 0.5]]), taps([0, [0.5, 0.5]]));
    expect([...halves.rgb]).toEqual([6, 106, 245]);
  });

  it('clamps to 0..255', () => {
    const out = resampleSeparable(image, taps([0, [2, -1]]), taps([0, [1]])); // 2·pixel0 − pixel1 = (−10, 90, 260)
    expect([...out.rgb]).toEqual([0, 90, 255]);
  });
});
