/**
 * Score rows (one line of scores.jsonl per frame or image) and their aggregation to videos.
 */
import { z } from 'zod';
import { InvalidConfig } from '../errors.js';

/** One scored frame or image. `group` = the video it belongs to; an item without one is its own video. */
export const scoreRowSchema = z.object({
  id: z.string().min(1),
  group: z.string().min(1).optional(),
  label: z.enum(['real', 'fake']),
  /** P(fake), in [0, 1]. */
  score: z.number().min(0).max(1),
});
export type ScoreRow = z.infer<typeof scoreRowSchema>;

/** Parses scores.jsonl text (blank lines ignored); a bad line fails with its line number. */
export function parseScoreRows(jsonl: string): ScoreRow[] {
  const rows: ScoreRow[] = [];
  const lines = jsonl.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new InvalidConfig(`scores.jsonl line ${i + 1} is not JSON`, { cause });
    }
    const parsed = scoreRowSchema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidConfig(`scores.jsonl line ${i + 1}: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
    }
    rows.push(parsed.data);
  }
  return rows;
}

/** Checks rows in memory (callers that did not come through parseScoreRows): finite scores in [0, 1], known labels. */
export function validateScoreRows(rows: readonly ScoreRow[]): void {
  if (rows.length === 0) throw new InvalidConfig('no score rows to evaluate (empty input)');
  rows.forEach((row, i) => {
    const where = `score row ${i} (id ${JSON.stringify(row.id)})`;
    if (typeof row.score !== 'number' || !Number.isFinite(row.score)) {
      throw new InvalidConfig(`${where}: score is ${row.score}; scores must be finite numbers`);
    }
    if (row.score < 0 || row.score > 1) {
      throw new InvalidConfig(`${where}: score ${row.score} is outside [0, 1]; scores are P(fake), not logits`);
    }
    if (row.label !== 'real' && row.label !== 'fake') {
      throw new InvalidConfig(`${where}: label ${JSON.stringify(row.label)} is neither "real" nor "fake"`);
    }
  });
}

export interface VideoScore {
  group: string;
  label: 'real' | 'fake';
  /** Mean of the video's frame scores (P(fake)). */
  score: number;
  nFrames: number;
}

/** Video score = mean of its frames' scores; videos in order of first appearance. A video with mixed labels is an error. */
export function aggregateByVideo(rows: readonly ScoreRow[]): VideoScore[] {
  validateScoreRows(rows);
  const videos = new Map<string, { label: 'real' | 'fake'; sum: number; nFrames: number; firstId: string }>();
  for (const row of rows) {
    const group = row.group ?? row.id;
    const video = videos.get(group);
    if (!video) {
      videos.set(group, { label: row.label, sum: row.score, nFrames: 1, firstId: row.id });
      continue;
    }
    if (video.label !== row.label) {
      throw new InvalidConfig(
        `video ${JSON.stringify(group)} has inconsistent labels: frame ${JSON.stringify(video.firstId)} is ` +
          `${video.label} but frame ${JSON.stringify(row.id)} is ${row.label}; every frame of a video must share its label`,
      );
    }
    video.sum += row.score;
    video.nFrames += 1;
  }
  return [...videos].map(([group, v]) => ({ group, label: v.label, score: v.sum / v.nFrames, nFrames: v.nFrames }));
}
