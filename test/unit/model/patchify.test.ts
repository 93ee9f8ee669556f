import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { patchify, unpatchify } from '../../../lib/model/patchify.js';
import { randomImages, useTestBackend } from './backend-for-tests.js';

describe('patchify / unpatchify', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('orders patches row-major and values (row, column, channel) within a patch', () => {
    // pixel (h, w, c) = 100h + 10w + c on a 4×4 image with 2 px patches
    const values: number[] = [];
    for (let h = 0; h < 4; h++) for (let w = 0; w < 4; w++) for (let c = 0; c < 3; c++) values.push(100 * h + 10 * w + c);
    const x = patchify(tf.tensor4d(values, [1, 4, 4, 3]), 2);
    expect(x.shape).toEqual([1, 4, 12]);
    const patches = x.arraySync()[0];
    // patch 1 = grid row 0, column 1: pixels h ∈ {0,1}, w ∈ {2,3}
    expect(patches[1]).toEqual([20, 21, 22, 30, 31, 32, 120, 121, 122, 130, 131, 132]);
    // patch 2 = grid row 1, column 0
    expect(patches[2].slice(0, 3)).toEqual([200, 201, 202]);
  });

  it('unpatchify inverts patchify exactly', () => {
    const imgs = randomImages(2, 16, 11);
    const x = patchify(imgs, 4);
    expect(x.shape).toEqual([2, 16, 48]);
    const back = unpatchify(x, 4);
    expect(back.shape).toEqual([2, 16, 16, 3]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(imgs.dataSync()));
  });

  it('rejects images that are not a whole number of patches', () => {
    expect(() => patchify(tf.zeros([1, 10, 10, 3]) as tf.Tensor4D, 4)).toThrow(/whole number/);
  });
});
