/**
 * bench/demo-trials: in-memory finetuning trials for the question "what makes the demo detector learn", each a few
 * minutes on 2 cores, on faces that prep.ts dumped from a prepared set (no Temporal, no store, no augmentation but
 * an optional flip). Prints, every --every steps, the mean train loss since the last print, the frame AUC on every
 * third train face, and the frame and video AUC on the val split (--test scores the test split instead: only for a
 * final check, never for choosing).
 *
 *   npx tsx bench/demo-trials/trial.ts [--data DIR] [--size 112 --patch 8 --width 192 --depth 4 --heads 3]
 *     [--stem C] [--lr 1e-3 --sched cos|const --warmup 20 --wd 0.05 --ld 1 --batch 8 --steps 300]
 *     [--headStd 2e-5] [--flip] [--hp K] [--synth R] [--seed 0]
 *
 * --stem C: the per-patch conv stem (arch.patchEmbed 'conv') with C channels. --hp K: feed K·(x − 3×3 mean of x),
 * a high-pass of the input (a diagnostic, not a product option). --synth R: a calibration task instead of the swaps:
 * the split's real faces, each also as a copy whose central half is box-blurred with radius R, labelled fake.
 * Batches are class-balanced (real, fake alternating); --paired takes each fake with its target video's real face
 * nearest in frame. The model starts from scratch.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/tensor';
import { ClassifierModel } from '../../lib/model/heads';
import { AdamW } from '../../lib/train/adamw';
import { layerLrScale, decaysWeight } from '../../lib/finetune/layer-decay';
import { evalResizeCrop, normalize, type Normalization } from '../../lib/finetune/transforms';
import type { RgbImage } from '../../lib/faces/image';
import { crossEntropy } from '../../lib/finetune/losses';
import { rankScores } from '../../lib/eval/roc';
import { rocAuc } from '../../lib/eval/metrics';

const { values: o } = parseArgs({ options: {
  data: { type: 'string', default: '/tmp/demo-trials/c23' }, size: { type: 'string', default: '112' }, patch: { type: 'string', default: '8' },
  width: { type: 'string', default: '192' }, depth: { type: 'string', default: '4' }, heads: { type: 'string', default: '3' },
  lr: { type: 'string', default: '1e-3' }, steps: { type: 'string', default: '300' }, batch: { type: 'string', default: '8' },
  wd: { type: 'string', default: '0.05' }, warmup: { type: 'string', default: '20' }, ld: { type: 'string', default: '1' },
  flip: { type: 'boolean', default: false }, every: { type: 'string', default: '100' }, seed: { type: 'string', default: '0' },
  headStd: { type: 'string', default: '2e-5' }, test: { type: 'boolean', default: false }, sched: { type: 'string', default: 'cos' },
hp: { type: 'string', default: '0' }, paired: { type: 'boolean', default: false }, stem: { type: 'string', default: '0' }, synth: { type: 'string', default: '0' }, crop: { type: 'string', default: '1' },
} });
const num = (k: keyof typeof o) => Number(o[k]);
const S = num('size');

function load(split: string) {
  const meta = JSON.parse(readFileSync(`${o.data}/${split}.json`, 'utf8')) as { size: number; faces: { id: string; video: string; label: number }[] };
  const raw = readFileSync(`${o.data}/${split}.u8`);
  const n = meta.faces.length, sz = meta.size, per = sz * sz * 3;
  const x = new Float32Array(n * S * S * 3);
  const norm: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  for (let i = 0; i < n; i++) {
    const img: RgbImage = { rgb: raw.subarray(i * per, (i + 1) * per), widthPx: sz, heightPx: sz };
    const r = S === sz ? img : evalResizeCrop(img, S, num('crop'));
    const f = normalize(r, norm);
    if (num('hp') > 0) {
      const g = new Float32Array(f.length);
      for (let yy = 0; yy < S; yy++) for (let xx = 0; xx < S; xx++) for (let c = 0; c < 3; c++) {
        let acc = 0, cnt = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) { const y2 = yy + dy, x2 = xx + dx; if (y2 >= 0 && y2 < S && x2 >= 0 && x2 < S) { acc += f[(y2 * S + x2) * 3 + c]; cnt++; } }
        g[(yy * S + xx) * 3 + c] = num('hp') * (f[(yy * S + xx) * 3 + c] - acc / cnt);
      }
      x.set(g, i * S * S * 3);
    } else x.set(f, i * S * S * 3);
  }
  return { x, faces: meta.faces, n };
}

function synth(d: ReturnType<typeof load>): ReturnType<typeof load> {
  const r = num('synth'), per = S * S * 3;
  const reals = d.faces.map((f, i) => (f.label === 0 ? i : -1)).filter((i) => i >= 0);
  const x = new Float32Array(reals.length * 2 * per);
  const faces: { id: string; video: string; label: number }[] = [];
  reals.forEach((j, k) => {
    const src = d.x.subarray(j * per, (j + 1) * per);
    x.set(src, 2 * k * per);
    const dst = x.subarray((2 * k + 1) * per, (2 * k + 2) * per);
    dst.set(src);
    for (let y = Math.floor(S * 0.3); y < Math.floor(S * 0.8); y++) for (let xx = Math.floor(S * 0.25); xx < Math.floor(S * 0.75); xx++) for (let c = 0; c < 3; c++) {
      let acc = 0, n = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) { acc += src[((y + dy) * S + xx + dx) * 3 + c]; n++; }
      dst[(y * S + xx) * 3 + c] = acc / n;
    }
    faces.push({ ...d.faces[j], label: 0 }, { ...d.faces[j], id: d.faces[j].id + 'b', video: d.faces[j].video + 'b', label: 1 });
  });
  return { x, faces, n: faces.length };
}

async function main() {
  await initBackend({ log: () => {} });
  let tr = load('train'), va = load(o.test ? 'test' : 'val');
  if (num('synth') > 0) { tr = synth(tr); va = synth(va); }
  const model = new ClassifierModel({ head: 'dfd', preset: 'demo', arch: { imageSizePx: S, patchSizePx: num('patch'), embedDim: num('width'), depth: num('depth'), numHeads: num('heads'), ...(num('stem') > 0 ? { patchEmbed: 'conv' as const, stemChannels: num('stem') } : {}) }, seed: num('seed'), dropPathRate: 0, headInitStd: num('headStd') });
  const vars = model.trainableVariables();
  const depth = num('depth');
  const opt = new AdamW({ decay: vars.filter((p) => decaysWeight({ name: p.name, shape: p.variable.shape })), noDecay: vars.filter((p) => !decaysWeight({ name: p.name, shape: p.variable.shape })) },
    { betas: [0.9, 0.999], eps: 1e-8, weightDecay: num('wd'), lrScale: (n) => layerLrScale(n, depth, num('ld')) });
  const B = num('batch'), steps = num('steps'), peak = num('lr'), warm = num('warmup');
  let rng = num('seed') * 7919 + 1;
  const rand = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648);
  const idxReal = tr.faces.map((f, i) => (f.label === 0 ? i : -1)).filter((i) => i >= 0);
  const idxFake = tr.faces.map((f, i) => (f.label === 1 ? i : -1)).filter((i) => i >= 0);
  const per = S * S * 3;
  // --paired: each fake face comes with the real face of its target video nearest in frame (FF++ names fakes
  // <target>_<source>.mp4), so a batch holds the same person, pose and background as real and swapped.
  const frameOf = (id: string) => Number(id.slice(id.lastIndexOf('#') + 1));
  const realsByTarget = new Map<string, number[]>();
  idxReal.forEach((i) => { const t = tr.faces[i].video.split('/').pop()!.replace('.mp4', ''); realsByTarget.set(t, [...(realsByTarget.get(t) ?? []), i]); });
  const partnerOf = (j: number) => {
    const target = tr.faces[j].video.split('/').pop()!.split('_')[0];
    const cands = realsByTarget.get(target);
    if (!cands) throw new Error(`no real video for ${tr.faces[j].video}`);
    const f = frameOf(tr.faces[j].id);
    return cands.reduce((best, i) => (Math.abs(frameOf(tr.faces[i].id) - f) < Math.abs(frameOf(tr.faces[best].id) - f) ? i : best), cands[0]);
  };
  const subIdx = Array.from({ length: Math.floor(tr.n / 3) }, (_, k) => k * 3);
  const trSubX = new Float32Array(subIdx.length * per);
  subIdx.forEach((j, k) => trSubX.set(tr.x.subarray(j * per, (j + 1) * per), k * per));
  const trSub = { x: trSubX, faces: subIdx.map((j) => tr.faces[j]), n: subIdx.length };
  const t0 = Date.now();
  let lossSum = 0, lossN = 0;
  const evalSet = (d: ReturnType<typeof load>) => {
    const scores = new Float32Array(d.n);
    for (let s = 0; s < d.n; s += 32) {
      const m = Math.min(32, d.n - s);
      const p = tf.tidy(() => model.predictProba(tf.tensor4d(d.x.subarray(s * per, (s + m) * per), [m, S, S, 3])));
      scores.set(p.dataSync() as Float32Array, s); p.dispose();
    }
    const labels = d.faces.map((f) => f.label);
    const frame = rocAuc(rankScores(scores, labels));
    const vid = new Map<string, { l: number; s: number; n: number }>();
    d.faces.forEach((f, i) => { const v = vid.get(f.video) ?? { l: f.label, s: 0, n: 0 }; v.s += scores[i]; v.n++; vid.set(f.video, v); });
    const vs = [...vid.values()];
    const video = rocAuc(rankScores(vs.map((v) => v.s / v.n), vs.map((v) => v.l)));
    return { frame, video };
  };
  for (let step = 1; step <= steps; step++) {
    const lr = step <= warm ? (peak * step) / warm : o.sched === 'const' ? peak : peak * 0.5 * (1 + Math.cos((Math.PI * (step - warm)) / Math.max(1, steps - warm)));
    const xb = new Float32Array(B * per);
    const yb: number[] = [];
    let lastFake = -1;
    for (let i = 0; i < B; i++) {
      const pool = i % 2 === 0 ? idxReal : idxFake;
      let j: number;
      if (o.paired) {
        if (i % 2 === 0) { lastFake = idxFake[Math.floor(rand() * idxFake.length)]; j = partnerOf(lastFake); } else j = lastFake;
      } else j = pool[Math.floor(rand() * pool.length)];
      const src = tr.x.subarray(j * per, (j + 1) * per);
      if (o.flip && rand() < 0.5) {
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) xb[i * per + (y * S + x) * 3 + c] = src[(y * S + (S - 1 - x)) * 3 + c];
      } else xb.set(src, i * per);
      yb.push(i % 2);
    }
    const xt = tf.tensor4d(xb, [B, S, S, 3]);
    const { loss, grads } = model.lossAndGradients(xt, (logits) => crossEntropy(logits, yb));
    xt.dispose();
    opt.step(grads, lr);
    tf.dispose([...grads.values()]);
    lossSum += loss; lossN++;
    if (step % num('every') === 0 || step === steps) {
      const v = evalSet(va);
      const t = evalSet(trSub);
      console.log(`step ${step} loss ${(lossSum / lossN).toFixed(4)} trainAUC(frame, 1st 256) ${t.frame.toFixed(3)} val frame ${v.frame.toFixed(3)} video ${v.video.toFixed(3)} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      lossSum = 0; lossN = 0;
    }
  }
}
main();
