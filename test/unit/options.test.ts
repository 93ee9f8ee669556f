import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../lib/errors.js';
import { mergePreset, parseOptions } from '../../lib/options.js';

describe('mergePreset', () => {
  type Cfg = { epochs?: number; model?: { preset?: string; dropPathRate?: number }; init?: { from?: string; key?: string } };
  const preset: Cfg = { epochs: 3, model: { preset: 'demo', dropPathRate: 0.1 }, init: { from: 'fsfm', key: 'a' } };

  it('replaces top-level keys, merges the named groups one level deep and replaces other objects whole', () => {
    const merged = mergePreset<Cfg>(preset, { epochs: 5, model: { dropPathRate: 0 }, init: { from: 'random' } }, ['model']);
    expect(merged).toEqual({ epochs: 5, model: { preset: 'demo', dropPathRate: 0 }, init: { from: 'random' } });
  });

  it('keeps the preset when there are no overrides, and takes a group only the overrides have', () => {
    expect(mergePreset<Cfg>(preset, {}, ['model'])).toEqual(preset);
    expect(mergePreset<Cfg>({ epochs: 1 }, { model: { preset: 'base' } }, ['model'])).toEqual({ epochs: 1, model: { preset: 'base' } });
    expect(preset.model).toEqual({ preset: 'demo', dropPathRate: 0.1 }); // the preset itself is not touched
  });
});

describe('parseOptions', () => {
  const schema = z.object({ epochs: z.number().int().positive().default(1), lr: z.number() }).strict();

  it('returns the parsed options with their defaults', () => {
    expect(parseOptions(schema, { lr: 0.1 }, 'toy config')).toEqual({ epochs: 1, lr: 0.1 });
  });

  it('throws one InvalidConfig naming every problem, "(config)" for the whole input', () => {
    expect(() => parseOptions(schema, { epochs: 0, lr: 'x' }, 'toy config')).toThrow(InvalidConfig);
    expect(() => parseOptions(schema, { epochs: 0, lr: 'x' }, 'toy config')).toThrow(/^invalid toy config: epochs: .+; lr: .+$/);
    expect(() => parseOptions(schema, 7, 'toy config')).toThrow(/^invalid toy config: \(config\): /);
  });
});
