import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidConfig } from '../../../lib/errors.js';
import { defaultFaceOptions } from '../../../lib/faces/index.js';
import {
  framesForRow,
  framesPerVideo,
  parsePrepareOptions,
  prepareOptionsSchema,
  selectRows,
} from '../../../lib/prepare/index.js';

describe('prepare options', () => {
  it('default to finetuning with 128 frames per real video and 32 per fake video, 224 px faces, 512-face shards', () => {
    const o = parsePrepareOptions({});
    expect(o.purpose).toBe('finetune');
    expect(framesPerVideo(o, 'real')).toBe(128);
    expect(framesPerVideo(o, 'fake')).toBe(32);
    expect(o.face).toEqual(defaultFaceOptions);
    expect(o.face.faceSizePx).toBe(224);
    expect(o.face.upsample).toBe(1);
    expect(o.shardSizeFaces).toBe(512);
    expect(o.regionMaps).toBe(true);
    expect(o.imageFormat).toBe('png');
  });

  it("follow the paper's frame counts per purpose: pretrain 128 real and no fakes, test 32, FAS 2", () => {
    const count = (purpose: 'pretrain' | 'test' | 'fas') => {
      const o = parsePrepareOptions({ purpose });
      return [framesPerVideo(o, 'real'), framesPerVideo(o, 'fake')];
    };
    expect(count('pretrain')).toEqual([128, 0]);
    expect(count('test')).toEqual([32, 32]);
    expect(count('fas')).toEqual([2, 2]);
  });

  it('let explicit frame counts override the purpose, per class', () => {
    const o = parsePrepareOptions({ purpose: 'pretrain', framesPerFakeVideo: 8 });
    expect(framesPerVideo(o, 'real')).toBe(128);
    expect(framesPerVideo(o, 'fake')).toBe(8);
  });

  it('nest face options with their own defaults when only some are given', () => {
    const o = parsePrepareOptions({ face: { upsample: 0 } });
    expect(o.face).toEqual({ ...defaultFaceOptions, upsample: 0 });
  });

  it('reject bad values with InvalidConfig naming the field', () => {
    expect(() => parsePrepareOptions({ shardSizeFaces: 0 })).toThrow(InvalidConfig);
    expect(() => parsePrepareOptions({ framesPerRealVideo: -1 })).toThrow(/framesPerRealVideo/);
    expect(() => parsePrepareOptions({ purpose: 'train' as never })).toThrow(/purpose/);
    expect(() => parsePrepareOptions({ face: { faceSizePx: 3 } })).toThrow(/faceSizePx/);
  });

  it('export a JSON Schema for the UI form', () => {
    const schema = z.toJSONSchema(prepareOptionsSchema, { io: 'input' }) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['purpose', 'framesPerRealVideo', 'face', 'shardSizeFaces']));
  });

  it('select rows: pretraining leaves fake videos and fake images out; an image is one frame', () => {
    const rows = [
      { kind: 'video', label: 'real' },
      { kind: 'video', label: 'fake' },
      { kind: 'image', label: 'real' },
      { kind: 'image', label: 'fake' },
    ] as const;
    expect(selectRows(rows, { purpose: 'pretrain' })).toEqual([rows[0], rows[2]]);
    expect(selectRows(rows, { purpose: 'finetune' })).toEqual([...rows]);
    const o = parsePrepareOptions({});
    expect(rows.map((r) => framesForRow(o, r))).toEqual([128, 32, 1, 1]);
  });
});
