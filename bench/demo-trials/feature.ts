/**
 * The hand-made swap-trace baseline for bench/demo-trials: per face (dumped by prep.ts), the mean |Laplacian| of the
 * grey image in the face centre, alone and divided by that of the border; frame and video AUC per split.
 *   npx tsx bench/demo-trials/feature.ts [DIR]
 */
import { readFileSync } from 'node:fs';
import { rankScores } from '../../lib/eval/roc';
import { rocAuc } from '../../lib/eval/metrics';
const dir = process.argv[2] ?? '/tmp/demo-trials/c23';
for (const split of ['train', 'val', 'test']) {
  const meta = JSON.parse(readFileSync(`${dir}/${split}.json`, 'utf8'));
  const raw = readFileSync(`${dir}/${split}.u8`);
  const S = meta.size, per = S * S * 3;
  const feats: number[][] = [];
  for (let i = 0; i < meta.faces.length; i++) {
    const g = new Float32Array(S * S);
    for (let p = 0; p < S * S; p++) g[p] = (raw[i * per + p * 3] + raw[i * per + p * 3 + 1] + raw[i * per + p * 3 + 2]) / 3;
    let c = 0, cn = 0, b = 0, bn = 0;
    for (let y = 1; y < S - 1; y++) for (let x = 1; x < S - 1; x++) {
      const l = Math.abs(4 * g[y * S + x] - g[y * S + x - 1] - g[y * S + x + 1] - g[(y - 1) * S + x] - g[(y + 1) * S + x]);
      const cy = y / S, cx = x / S;
      if (cy > 0.35 && cy < 0.8 && cx > 0.3 && cx < 0.7) { c += l; cn++; } else if (cy < 0.15 || cx < 0.12 || cx > 0.88) { b += l; bn++; }
    }
    feats.push([-(c / cn) / (b / bn + 1e-3), -(c / cn)]);
  }
  const labels = meta.faces.map((f: { label: number }) => f.label);
  for (const k of [0, 1]) {
    const s = feats.map((f) => f[k]);
    const frame = rocAuc(rankScores(s, labels));
    const vid = new Map<string, { l: number; s: number; n: number }>();
    meta.faces.forEach((f: { label: number; video: string }, i: number) => { const v = vid.get(f.video) ?? { l: f.label, s: 0, n: 0 }; v.s += s[i]; v.n++; vid.set(f.video, v); });
    const vs = [...vid.values()];
    console.log(split, k === 0 ? 'ratio' : 'centre', 'frame', frame.toFixed(3), 'video', rocAuc(rankScores(vs.map((v) => v.s / v.n), vs.map((v) => v.l))).toFixed(3), vs.length);
  }
}
