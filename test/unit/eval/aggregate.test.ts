import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { aggregateByVideo, parseScoreRows, type ScoreRow } from '../../../lib/eval/index.js';

describe('aggregateByVideo', () => {
  it("scores a video by the mean of its frames' scores, in order of first appearance", () => {
    const rows: ScoreRow[] = [
      { id: 'b/0', group: 'b', label: 'real', score: 0.1 },
      { id: 'a/0', group: 'a', label: 'fake', score: 0.9 },
      { id: 'b/1', group: 'b', label: 'real', score: 0.3 },
      { id: 'a/1', group: 'a', label: 'fake', score: 0.5 },
      { id: 'a/2', group: 'a', label: 'fake', score: 0.4 },
    ];
    const videos = aggregateByVideo(rows);
    expect(videos.map((v) => v.group)).toEqual(['b', 'a']);
    expect(videos[0]).toMatchObject({ label: 'real', nFrames: 2 });
    expect(videos[0].score).toBeCloseTo(0.2, 14);
    expect(videos[1]).toMatchObject({ label: 'fake', nFrames: 3 });
    expect(videos[1].score).toBeCloseTo(0.6, 14);
  });

  it('treats a row without a group as its own video (image datasets)', () => {
    const videos = aggregateByVideo([
      { id: 'x.png', label: 'real', score: 0.2 },
      { id: 'y.png', label: 'fake', score: 0.7 },
    ]);
    expect(videos).toEqual([
      { group: 'x.png', label: 'real', score: 0.2, nFrames: 1 },
      { group: 'y.png', label: 'fake', score: 0.7, nFrames: 1 },
    ]);
  });

  it('refuses a video whose frames carry different labels, naming the video and both frames', () => {
    const rows: ScoreRow[] = [
      { id: 'v/0', group: 'v', label: 'fake', score: 0.9 },
      { id: 'v/1', group: 'v', label: 'real', score: 0.1 },
    ];
    expect(() => aggregateByVideo(rows)).toThrow(InvalidConfig);
    expect(() => aggregateByVideo(rows)).toThrow(/video "v" has inconsistent labels: frame "v\/0" is fake but frame "v\/1" is real/);
  });

  it('refuses empty input, NaN scores and scores outside [0, 1]', () => {
    expect(() => aggregateByVideo([])).toThrow(/empty/);
    expect(() => aggregateByVideo([{ id: 'a', label: 'real', score: NaN }])).toThrow(/score is NaN/);
    expect(() => aggregateByVideo([{ id: 'a', label: 'real', score: 2.3 }])).toThrow(/outside \[0, 1\]/);
  });
});

describe('parseScoreRows', () => {
  it('reads scores.jsonl, skipping blank lines', () => {
    const text = '{"id":"a","group":"v","label":"fake","score":0.75}\n\n{"id":"b","label":"real","score":0}\n';
    expect(parseScoreRows(text)).toEqual([
      { id: 'a', group: 'v', label: 'fake', score: 0.75 },
      { id: 'b', label: 'real', score: 0 },
    ]);
  });

  it('names the line of a malformed or invalid row', () => {
    expect(() => parseScoreRows('{"id":"a","label":"fake","score":0.5}\n{oops')).toThrow(/line 2 is not JSON/);
    expect(() => parseScoreRows('{"id":"a","label":"spoof","score":0.5}')).toThrow(/line 1/);
    expect(() => parseScoreRows('{"id":"a","label":"fake","score":null}')).toThrow(InvalidConfig);
  });
});
