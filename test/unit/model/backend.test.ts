import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { currentBackend, gpuEngineMissing, initBackend, resolvePreference } from '../../../lib/tensor/backend.js';
import { nativeBuilt } from './backend-for-tests.js';

const gpuUsable = gpuEngineMissing() === null;
const nativeAbsent = !nativeBuilt && !gpuUsable;

describe('initBackend', () => {
  it.runIf(nativeAbsent)('auto skips the absent native packages, says why, and lands on wasm', async () => {
    const lines: string[] = [];
    const sel = await initBackend({ prefer: 'auto', log: (l) => lines.push(l) });
    expect(sel.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(sel.skipped.map((s) => s.backend)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(sel.skipped[0].why).toMatch(/not installed/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/using wasm.*skipped tfjs-node-gpu/);
    // The GPU package's allocator setting is in place before it is ever loaded.
    expect(process.env.TF_FORCE_GPU_ALLOW_GROWTH).toBe('true');
    // A second call with the same preference reuses the choice and does not log again.
    await initBackend({ prefer: 'auto', log: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
  });

  it.runIf(nativeAbsent)('an explicit backend that is not installed is a clear InvalidConfig', async () => {
    const attempt = initBackend({ prefer: 'tfjs-node', log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(InvalidConfig);
    await expect(initBackend({ prefer: 'tfjs-node-gpu', log: () => {} })).rejects.toThrow(/tfjs-node-gpu.*unavailable.*not installed/);
  });

  it.runIf(nativeBuilt && !gpuUsable)('auto picks the native CPU engine built by bootstrap, and says why the GPU one was skipped', async () => {
    const lines: string[] = [];
    const saved = process.env.FSFM_BACKEND;
    delete process.env.FSFM_BACKEND;
    try {
      const sel = await initBackend({ prefer: 'auto', log: (l) => lines.push(l) });
      expect(sel.backend).toBe('tfjs-node');
      expect(tf.getBackend()).toBe('tensorflow');
      expect(sel.skipped).toEqual([{ backend: 'tfjs-node-gpu', why: expect.stringMatching(/^no GPU/) }]);
      expect(lines).toEqual([expect.stringMatching(/^\[tensor\] auto: using tfjs-node; skipped tfjs-node-gpu \(no GPU/)]);
      const a = tf.tensor2d([[1, 2], [3, 4]]);
      expect(tf.matMul(a, a).arraySync()).toEqual([[7, 10], [15, 22]]);
      // The GPU package never joins the CPU one in a process: asked for now, it names what is missing instead.
      await expect(initBackend({ prefer: 'tfjs-node-gpu', log: () => {} })).rejects.toThrow(/tensor backend 'tfjs-node-gpu' is unavailable: tfjs-node-gpu: no GPU/);
    } finally {
      if (saved !== undefined) process.env.FSFM_BACKEND = saved;
    }
  });

  it('FSFM_BACKEND replaces an auto preference, not an explicit one, and an unknown value is named', () => {
    const saved = process.env.FSFM_BACKEND;
    try {
      process.env.FSFM_BACKEND = 'wasm';
      expect(resolvePreference('auto')).toBe('wasm');
      expect(resolvePreference('cpu')).toBe('cpu');
      process.env.FSFM_BACKEND = 'webgl';
      expect(() => resolvePreference('auto')).toThrow(/unknown tensor backend 'webgl' \(from FSFM_BACKEND\)/);
      delete process.env.FSFM_BACKEND;
      expect(resolvePreference('auto')).toBe('auto');
    } finally {
      if (saved === undefined) delete process.env.FSFM_BACKEND;
      else process.env.FSFM_BACKEND = saved;
    }
  });

  it('an unknown backend name is rejected', async () => {
    await expect(initBackend({ prefer: 'webgpu' as never, log: () => {} })).rejects.toThrow(/unknown tensor backend 'webgpu'/);
  });

  it('cpu and wasm can be selected explicitly and computation agrees between them', async () => {
    const cpu = await initBackend({ prefer: 'cpu', log: () => {} });
    expect(cpu.backend).toBe('cpu');
    expect(currentBackend()?.backend).toBe('cpu');
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
    const onCpu = tf.matMul(a, b).arraySync();
    tf.dispose([a, b]);
    const wasm = await initBackend({ prefer: 'wasm', log: () => {} });
    expect(wasm.reason).toBe('using wasm (requested)');
    const a2 = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b2 = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
    expect(tf.matMul(a2, b2).arraySync()).toEqual(onCpu);
    expect(onCpu).toEqual([[4, 5], [10, 11]]);
  });
});
