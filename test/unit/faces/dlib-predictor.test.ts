/** Runs in its own process (vitest isolates files), before anything has loaded the predictor. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidPath } from '../../../lib/errors.js';
import { configureDlib, DEFAULT_PREDICTOR_PATH, detectLandmarks, dlibInfo, type RgbImage } from '../../../lib/faces/index.js';

describe('predictor loading', () => {
  it('rejects with InvalidPath naming a missing predictor file, then loads the configured default', async () => {
    expect(dlibInfo().predictorLoaded).toBe(false);
    const missing = path.join('/nonexistent-fsfm', 'shape_predictor_68.dat');
    configureDlib({ predictorPath: missing });
    const frame: RgbImage = { rgb: Buffer.alloc(32 * 32 * 3, 90), widthPx: 32, heightPx: 32 };
    const box = { left: 4, top: 4, right: 27, bottom: 27 };
    const failed = detectLandmarks(frame, box);
    await expect(failed).rejects.toThrow(InvalidPath);
    await expect(failed).rejects.toThrow(/shape predictor not found or unreadable: \/nonexistent-fsfm\/shape_predictor_68\.dat/);
    expect(dlibInfo().predictorLoaded).toBe(false);

    configureDlib({ predictorPath: DEFAULT_PREDICTOR_PATH });
    const points = await detectLandmarks(frame, box);
    expect(points).toHaveLength(68);
    expect(dlibInfo()).toMatchObject({ predictorLoaded: true, predictorPath: DEFAULT_PREDICTOR_PATH });
  });
});
