import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseTrainingBackend } from '../../../workers/backend-choice.js';

const noDriver = !fs.existsSync('/proc/driver/nvidia/version');
const saved = process.env.FSFM_BACKEND;

describe('a worker chooses its training backend at start', () => {
  afterEach(() => {
    if (saved === undefined) delete process.env.FSFM_BACKEND;
    else process.env.FSFM_BACKEND = saved;
  });

  it.runIf(noDriver)('--backend tfjs-node-gpu without a GPU fails at start with one line naming what is missing', () => {
    delete process.env.FSFM_BACKEND;
    expect(() => chooseTrainingBackend(['--backend', 'tfjs-node-gpu'], ['gpu'])).toThrow(/^--backend tfjs-node-gpu: no GPU( engine)?: [^\n]+$/);
  });

  it.runIf(noDriver)('auto on a gpu worker without a GPU says so in one line and falls back', () => {
    delete process.env.FSFM_BACKEND;
    const choice = chooseTrainingBackend([], ['gpu']);
    expect(choice.prefer).toBe('auto');
    expect(choice.line).toMatch(/^no GPU[^\n]*; training falls back to (tfjs-node \(CPU\)|wasm)$/);
    expect(process.env.FSFM_BACKEND).toBeUndefined();
  });

  it('an explicit backend is exported to the training children; a bad one is named', () => {
    delete process.env.FSFM_BACKEND;
    expect(chooseTrainingBackend(['--backend', 'wasm'], ['cpu', 'gpu']).line).toBe('training backend wasm');
    expect(process.env.FSFM_BACKEND).toBe('wasm');
    expect(() => chooseTrainingBackend(['--backend', 'metal'], ['gpu'])).toThrow(/unknown tensor backend 'metal'/);
    expect(() => chooseTrainingBackend(['--backend'], ['gpu'])).toThrow(/--backend needs a value/);
  });
});
