/**
 * bench/train: speed of one FSFM pretraining step against the backend's own plain 2-D matMul speed.
 *
 *   npx tsx bench/train.ts [--presets demo,base] [--backends tfjs-node,wasm] [--batch demo=8,small=4,base=2]
 *                          [--cpu-batch 2] [--steps 2] [--warmup 1] [--mask-ratio 0.75] [--profile] [--json]
 *
 * Backends run side by side, preset by preset (native then wasm on the same preset, so both see the same load on
 * a shared box), and a last table gives each preset's images/s of every backend relative to wasm.
 * Each (backend, preset) runs in its own child process, so that peak RSS and the wasm heap (which only grows)
 * belong to that configuration alone. The cpu backend runs the demo preset only (pure JS, ~0.6 GFLOP/s).
 * On wasm the batch is bounded by the wasm32 heap (4 GiB), not by the machine's memory: the table shows both.
 * --profile adds one step with every kernel timed: time by kernel group, JS time outside kernels, top kernels.
 *
 * A step is what runPretraining does per optimizer step with accumIter 1: the target branch on the full image,
 * the online forward + backward (FsfmModel.lossAndGradients), AdamW (lib/train) and the EMA of the target. Data
 * loading and masking are not included (random images, fixed random masks).
 *
 * FLOPs are counted analytically, matMuls only (2 FLOPs per multiply-add), per sample:
 *   lin(T, i, o)   = 2·T·i·o                                   a Linear on T tokens
 *   block(T, D)    = lin(T,D,3D) + lin(T,D,D) + lin(T,D,rD) + lin(T,rD,D) + 4·T²·D
 *                    (qkv, proj, fc1, fc2, and q·kᵀ plus p·v over all heads; r = mlpRatio)
 *   online fwd     = lin(Lv,P,D) + depth·block(1+Lv, D)                              encoder on the visible patches
 *                  + lin(1+Lv,D,D) + repDepth·block(1+L, D) + lin(1+L,D,D)          representation decoder
 *                  + lin(1+L,D,Dd) + decDepth·block(1+L, Dd) + lin(L,Dd,P)          pixel decoder
 *                  + lin(1,D,H) + lin(1,H,K) + lin(1,K,H) + lin(1,H,K)             projector, predictor
 *   target fwd     = lin(L,P,D) + depth·block(1+L, D) + rep decoder as above + projector   (no backward)
 *   step           = B · (3 · online fwd + target fwd)
 * (L patches, Lv visible, P = p²·3 values per patch, D/Dd encoder/pixel-decoder widths, H/K projector widths.)
 * "×3" is the usual forward + backward estimate (backward = 2 matMuls per forward matMul). Elementwise work
 * (LayerNorm, GELU, softmax, AdamW, EMA) is not counted: it is what the ratio charges the implementation for.
 *
 * The ceiling is the same backend's plain 2-D matMul at the step's main linear-layer shapes (M = B·(1+L) tokens):
 * forward x·W1 [M,D]×[D,rD], input gradient [M,rD]×[rD,D] and weight gradient [D,M]×[M,rD], each with a fresh
 * right operand per call as in training (wasm packs the right operand once per tensor). It is measured in rounds
 * before the first step and after every timed step (the box is shared; this way both see the same load), and
 * the fastest of the three shapes (median over rounds) is the ceiling. ratio = achieved step GFLOP/s ÷ ceiling,
 * by wall time and by this process's CPU time (less sensitive to other processes taking the cores). The
 * per-head attention shape [1+L,d]×[d,1+L] is shown for reference.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { FsfmModel } from '../lib/model/model.js';
import { FSFM_PRESETS, type FsfmArch, type FsfmPresetName } from '../lib/model/presets.js';
import { type BackendName, initBackend } from '../lib/tensor/backend.js';
import { AdamW } from '../lib/train/adamw.js';

const DEFAULT_BATCH: Record<string, number> = { demo: 8, tiny: 4, small: 4, base: 2, large: 1 };

interface ChildSpec {
  backend: BackendName;
  preset: FsfmPresetName;
  batch: number;
  steps: number;
  warmup: number;
  maskRatio: number;
  profile: boolean;
}

interface MatMulRate {
  shape: string;
  /** By wall time and by this process's CPU time. */
  gflops: number;
  gflopsCpu: number;
}

interface KernelRow {
  kernel: string;
  ms: number;
  calls: number;
}

interface ChildResult {
  spec: ChildSpec;
  onlineParams: number;
  targetParams: number;
  flopsPerStep: number;
  stepMs: number[];
  stepCpuMs: number[];
  ceiling: MatMulRate[];
  attention: MatMulRate;
  maxRssMiB: number;
  wasmHeapMiB: number | null;
  loss: number;
  profile?: { stepMs: number; kernelMs: number; groups: Record<string, number>; top: KernelRow[]; matMulGflops: number };
}

// ---------------------------------------------------------------------------------------------- FLOPs

function lin(tokens: number, inDim: number, outDim: number): number {
  return 2 * tokens * inDim * outDim;
}

function blockFlops(tokens: number, dim: number, mlpRatio: number): number {
  const hidden = Math.round(dim * mlpRatio);
  return lin(tokens, dim, 3 * dim) + lin(tokens, dim, dim) + lin(tokens, dim, hidden) + lin(tokens, hidden, dim) + 4 * tokens * tokens * dim;
}

/** Model FLOPs of one training step (see the header for the formula). */
export function stepFlops(a: FsfmArch, batch: number, maskRatio: number): { onlineForward: number; targetForward: number; step: number } {
  const L = (a.imageSizePx / a.patchSizePx) ** 2;
  const Lv = L - Math.round(maskRatio * L);
  const P = a.patchSizePx * a.patchSizePx * 3;
  const D = a.embedDim;
  const Dd = a.decoderEmbedDim;
  const H = a.projectionHiddenDim;
  const K = a.projectionDim;
  const r = a.mlpRatio;
  const repDecoder = (tokensIn: number) =>
    lin(tokensIn, D, D) + a.repDecoderDepth * blockFlops(1 + L, D, r) + lin(1 + L, D, D);
  const onlineForward =
    lin(Lv, P, D) + a.depth * blockFlops(1 + Lv, D, r) +
    repDecoder(1 + Lv) +
    lin(1 + L, D, Dd) + a.decoderDepth * blockFlops(1 + L, Dd, r) + lin(L, Dd, P) +
    lin(1, D, H) + lin(1, H, K) + lin(1, K, H) + lin(1, H, K);
  const targetForward = lin(L, P, D) + a.depth * blockFlops(1 + L, D, r) + repDecoder(1 + L) + lin(1, D, H) + lin(1, H, K);
  return { onlineForward, targetForward, step: batch * (3 * onlineForward + targetForward) };
}

// ---------------------------------------------------------------------------------------------- child

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Wall and CPU milliseconds of fn (CPU time is this process's: the box is shared, and it is robust to being descheduled). */
function timed(fn: () => void): { wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/**
 * Plain 2-D matMul [m,k]×[k,n] with a fresh right operand per call (made outside the timed region), timed a
 * few times per round; rounds run before and between the training steps so that the ceiling sees the same
 * load from other processes as the steps do.
 */
class MatMulProbe {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];
  private readonly a: tf.Tensor2D;
  private readonly b: tf.Tensor2D;
  constructor(
    readonly m: number,
    readonly k: number,
    readonly n: number,
  ) {
    this.a = tf.randomNormal([m, k]) as tf.Tensor2D;
    this.b = tf.randomNormal([k, n]) as tf.Tensor2D;
  }
  get shape(): string {
    return `${this.m}×${this.k}×${this.n}`;
  }
  round(reps: number): void {
    for (let r = 0; r < reps; r++) {
      const fresh = tf.add(this.b, 0) as tf.Tensor2D;
      fresh.dataSync();
      let c: tf.Tensor | undefined;
      const t = timed(() => {
        c = tf.matMul(this.a, fresh);
        c.dataSync();
      });
      tf.dispose([fresh, c!]);
      this.wall.push(t.wallMs);
      this.cpu.push(t.cpuMs);
    }
  }
  rate(): MatMulRate {
    const flops = 2 * this.m * this.k * this.n;
    return { shape: this.shape, gflops: flops / median(this.wall) / 1e6, gflopsCpu: flops / median(this.cpu) / 1e6 };
  }
  dispose(): void {
    tf.dispose([this.a, this.b]);
  }
}

/** Fixed random inputs: normalised-looking images, masks hiding round(ratio·L) patches, a facial region of 1/10 L. */
function syntheticBatch(a: FsfmArch, batch: number, maskRatio: number, seed: number) {
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const L = (a.imageSizePx / a.patchSizePx) ** 2;
  const hidden = Math.round(maskRatio * L);
  const mask = new Float32Array(batch * L);
  const facialRegion = new Float32Array(batch * L);
  for (let n = 0; n < batch; n++) {
    const order = Array.from({ length: L }, (_, j) => j);
    for (let j = L - 1; j > 0; j--) {
      const k = Math.floor(rand() * (j + 1));
      [order[j], order[k]] = [order[k], order[j]];
    }
    order.slice(0, hidden).forEach((j, k) => {
      mask[n * L + j] = 1;
      if (k < Math.ceil(L / 10)) facialRegion[n * L + j] = 1;
    });
  }
  const values = new Float32Array(batch * a.imageSizePx * a.imageSizePx * 3).map(() => rand() * 4 - 2);
  return { images: tf.tensor4d(values, [batch, a.imageSizePx, a.imageSizePx, 3]), mask, facialRegion };
}

/** Times every kernel of the active backend while `on` is set (kernels are synchronous on wasm and cpu). */
function installKernelTimers(backend: string): { on: (v: boolean) => void; rows: () => KernelRow[]; matMulFlops: () => number } {
  const stats = new Map<string, { ms: number; calls: number }>();
  let enabled = false;
  let flops = 0;
  for (const cfg of tf.getKernelsForBackend(backend)) {
    const inner = cfg.kernelFunc;
    tf.unregisterKernel(cfg.kernelName, backend);
    tf.registerKernel({
      ...cfg,
      kernelFunc: (args) => {
        if (!enabled) return inner(args);
        const t0 = performance.now();
        const out = inner(args);
        const ms = performance.now() - t0;
        let key = cfg.kernelName;
        if (key === 'BatchMatMul' || key === '_FusedMatMul') {
          const inputs = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
          const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
          const as = inputs.a.shape;
          const bs = inputs.b.shape;
          const m = as[as.length - (attrs.transposeA ? 1 : 2)];
          const k = as[as.length - (attrs.transposeA ? 2 : 1)];
          const n = bs[bs.length - (attrs.transposeB ? 2 : 1)];
          const batches = as.slice(0, -2).reduce((x, y) => x * y, 1);
          flops += 2 * m * k * n * batches;
          if (batches > 1 || attrs.transposeA || attrs.transposeB) key += ' (batched/transposed: slow path)';
        }
        const s = stats.get(key) ?? { ms: 0, calls: 0 };
        s.ms += ms;
        s.calls += 1;
        stats.set(key, s);
        return out;
      },
    });
  }
  return {
    on: (v) => {
      enabled = v;
    },
    rows: () => [...stats.entries()].map(([kernel, s]) => ({ kernel, ...s })).sort((x, y) => y.ms - x.ms),
    matMulFlops: () => flops,
  };
}

const KERNEL_GROUPS: [string, RegExp][] = [
  ['matMul', /MatMul/],
  ['transpose', /^Transpose$/],
  ['erf/exp/sqrt', /^(Erf|Exp|Sqrt|Rsqrt|Log|Pow)$/],
  ['elementwise', /^(Add|AddN|Sub|Multiply|RealDiv|Square|SquaredDifference|Neg|Maximum|Minimum|Relu|Cast|Step|Greater|Less|Equal|Select|SelectV2|ClipByValue|Abs|Sign)$/],
  ['AdamW + EMA (fused kernels)', /^(FsfmAdamW|FsfmLerp)$/],
  ['softmax/reductions', /^(Softmax|Sum|Mean|Max|Min|Prod)$/],
  ['copies (identity/stack/slice/concat/gather)', /^(Identity|Pack|Unpack|Slice|SplitV|Concat|GatherV2|Tile|PadV2|Reshape|BroadcastTo|Fill|ZerosLike|OnesLike|FsfmCopy)$/],
];

async function runChild(spec: ChildSpec): Promise<ChildResult> {
  await initBackend({ prefer: spec.backend, log: () => {} });
  const arch = FSFM_PRESETS[spec.preset];
  const L = (arch.imageSizePx / arch.patchSizePx) ** 2;
  const M = spec.batch * (1 + L);
  const D = arch.embedDim;
  const hidden = Math.round(D * arch.mlpRatio);
  const probes = [new MatMulProbe(M, D, hidden), new MatMulProbe(M, hidden, D), new MatMulProbe(D, M, hidden)];
  const attentionProbe = new MatMulProbe(1 + L, D / arch.numHeads, 1 + L);
  const reps = spec.backend === 'cpu' ? 1 : 3;
  const probeRound = () => {
    for (const p of probes) p.round(reps);
    attentionProbe.round(2 * reps);
  };
  probeRound();

  const model = new FsfmModel({ preset: spec.preset });
  const adamw = new AdamW(model.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  const batch = syntheticBatch(arch, spec.batch, spec.maskRatio, 7);
  const totalSteps = 1000;
  let loss = Number.NaN;
  let iteration = 0;
  const step = () =>
    timed(() => {
      const { losses, grads } = model.lossAndGradients(batch);
      adamw.step(grads, 1e-4);
      tf.dispose([...grads.values()]);
      model.updateTarget(iteration++, totalSteps);
      loss = losses.loss;
    });
  for (let i = 0; i < spec.warmup; i++) step();
  const tensorsAfterWarmup = tf.memory().numTensors;
  const stepMs: number[] = [];
  const stepCpuMs: number[] = [];
  for (let i = 0; i < spec.steps; i++) {
    const t = step();
    stepMs.push(t.wallMs);
    stepCpuMs.push(t.cpuMs);
    probeRound();
  }
  if (tf.memory().numTensors !== tensorsAfterWarmup) {
    throw new Error(`tensor leak: ${tensorsAfterWarmup} tensors after warm-up, ${tf.memory().numTensors} after the timed steps`);
  }
  const ceiling = probes.map((p) => p.rate());
  const attention = attentionProbe.rate();
  [...probes, attentionProbe].forEach((p) => p.dispose());

  let profile: ChildResult['profile'];
  if (spec.profile) {
    const timers = installKernelTimers(tf.getBackend());
    timers.on(true);
    const ms = step().wallMs;
    timers.on(false);
    const rows = timers.rows();
    const kernelMs = rows.reduce((s, r) => s + r.ms, 0);
    const groups: Record<string, number> = {};
    for (const r of rows) {
      const g = KERNEL_GROUPS.find(([, re]) => re.test(r.kernel.split(' ')[0]))?.[0] ?? 'other kernels';
      groups[g] = (groups[g] ?? 0) + r.ms;
    }
    groups['JS outside kernels (engine, tape, tidy)'] = ms - kernelMs;
    const matMulMs = rows.filter((r) => /MatMul/.test(r.kernel)).reduce((s, r) => s + r.ms, 0);
    profile = { stepMs: ms, kernelMs, groups, top: rows.slice(0, 15), matMulGflops: timers.matMulFlops() / matMulMs / 1e6 };
  }

  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length;
  const result: ChildResult = {
    spec,
    onlineParams: model.online.params.count(),
    targetParams: model.target.params.count(),
    flopsPerStep: stepFlops(arch, spec.batch, spec.maskRatio).step,
    stepMs,
    stepCpuMs,
    ceiling,
    attention,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    wasmHeapMiB: heap ? heap / 2 ** 20 : null,
    loss,
    profile,
  };
  tf.dispose(batch.images);
  adamw.dispose();
  model.dispose();
  return result;
}

// ---------------------------------------------------------------------------------------------- parent

function runInChild(spec: ChildSpec): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', JSON.stringify(spec)], { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ChildResult);
      else reject(new Error(`${spec.backend}/${spec.preset} batch ${spec.batch} exited with ${code}: ${out.slice(-2000)}`));
    });
  });
}

function fmt(x: number, digits = 1): string {
  return x.toFixed(digits);
}

function table(results: ChildResult[]): string {
  const lines = [
    '| backend | preset | batch | params online/target (M) | GFLOP/step | step s (wall, median) | step s (CPU) | images/s | achieved GFLOP/s | plain matMul ceiling GFLOP/s | ratio (wall) | ratio (CPU time) | per-head attention matMul GFLOP/s | peak RSS MiB | wasm heap MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const s = median(r.stepMs) / 1000;
    const cpuS = median(r.stepCpuMs) / 1000;
    const achieved = r.flopsPerStep / s / 1e9;
    const achievedCpu = r.flopsPerStep / cpuS / 1e9;
    const best = r.ceiling.reduce((x, y) => (y.gflops > x.gflops ? y : x));
    const bestCpu = Math.max(...r.ceiling.map((c) => c.gflopsCpu));
    lines.push(
      `| ${r.spec.backend} | ${r.spec.preset} | ${r.spec.batch} | ${fmt(r.onlineParams / 1e6)}/${fmt(r.targetParams / 1e6)} | ${fmt(r.flopsPerStep / 1e9)} | ` +
        `${fmt(s, 2)} | ${fmt(cpuS, 2)} | ${fmt(r.spec.batch / s, 2)} | ${fmt(achieved, 2)} | ${fmt(best.gflops, 2)} (${best.shape}) | ` +
        `${fmt((100 * achieved) / best.gflops, 0)}% | ${fmt((100 * achievedCpu) / bestCpu, 0)}% | ` +
        `${fmt(r.attention.gflops, 2)} (${r.attention.shape}) | ${fmt(r.maxRssMiB, 0)} | ${r.wasmHeapMiB === null ? '-' : fmt(r.wasmHeapMiB, 0)} |`,
    );
  }
  return lines.join('\n');
}

function ceilingTable(results: ChildResult[]): string {
  const lines = ['| backend | preset | batch | forward [M,D]×[D,rD] | input grad [M,rD]×[rD,D] | weight grad [D,M]×[M,rD] | timed steps, ms |', '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const [f, dx, dw] = r.ceiling;
    lines.push(
      `| ${r.spec.backend} | ${r.spec.preset} | ${r.spec.batch} | ${fmt(f.gflops, 2)} (${f.shape}) | ${fmt(dx.gflops, 2)} (${dx.shape}) | ${fmt(dw.gflops, 2)} (${dw.shape}) | ` +
        `${r.stepMs.map((t) => fmt(t, 0)).join(', ')} (CPU ${r.stepCpuMs.map((t) => fmt(t, 0)).join(', ')}) |`,
    );
  }
  return lines.join('\n');
}

function speedupTable(results: ChildResult[]): string {
  const lines = ['| preset | backend | images/s | × wasm |', '|---|---|---|---|'];
  const imagesPerS = (r: ChildResult) => r.spec.batch / (median(r.stepMs) / 1000);
  for (const r of results) {
    const wasm = results.find((w) => w.spec.backend === 'wasm' && w.spec.preset === r.spec.preset);
    lines.push(`| ${r.spec.preset} | ${r.spec.backend} | ${fmt(imagesPerS(r), 2)} | ${wasm ? fmt(imagesPerS(r) / imagesPerS(wasm), 2) : '-'} |`);
  }
  return lines.join('\n');
}

function profileTables(results: ChildResult[]): string {
  const parts: string[] = [];
  for (const r of results) {
    if (!r.profile) continue;
    const p = r.profile;
    parts.push(`#### ${r.spec.backend} / ${r.spec.preset} / batch ${r.spec.batch}: one profiled step ${fmt(p.stepMs, 0)} ms (timers add a little); matMul kernels ran at ${fmt(p.matMulGflops, 1)} GFLOP/s`);
    parts.push('| where | ms | share |', '|---|---|---|');
    for (const [g, ms] of Object.entries(p.groups).sort((x, y) => y[1] - x[1])) parts.push(`| ${g} | ${fmt(ms, 0)} | ${fmt((100 * ms) / p.stepMs, 1)}% |`);
    parts.push('', '| top kernels | ms | calls |', '|---|---|---|');
    for (const k of p.top) parts.push(`| ${k.kernel} | ${fmt(k.ms, 1)} | ${k.calls} |`);
    parts.push('');
  }
  return parts.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      presets: { type: 'string', default: 'demo,base' },
      backends: { type: 'string', default: 'tfjs-node,wasm' },
      batch: { type: 'string', default: '' },
      'cpu-batch': { type: 'string', default: '2' },
      steps: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '1' },
      'mask-ratio': { type: 'string', default: '0.75' },
      profile: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.child) {
    const result = await runChild(JSON.parse(values.child) as ChildSpec);
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
    return;
  }
  const batchOverride = new Map<string, number>();
  for (const kv of values.batch.split(',').filter(Boolean)) {
    const [name, n] = kv.includes('=') ? kv.split('=') : ['*', kv];
    batchOverride.set(name, Number(n));
  }
  const presets = values.presets.split(',').filter(Boolean) as FsfmPresetName[];
  for (const p of presets) if (!(p in FSFM_PRESETS)) throw new Error(`unknown preset ${p}; known: ${Object.keys(FSFM_PRESETS).join(', ')}`);
  const specs: ChildSpec[] = [];
  for (const preset of presets) {
    for (const backend of values.backends.split(',').filter(Boolean) as BackendName[]) {
      if (backend === 'cpu' && preset !== 'demo') continue;
      const batch = backend === 'cpu' ? Number(values['cpu-batch']) : (batchOverride.get(preset) ?? batchOverride.get('*') ?? DEFAULT_BATCH[preset] ?? 2);
      specs.push({
        backend,
        preset,
        batch,
        steps: backend === 'cpu' ? Math.min(Number(values.steps), 1) : Number(values.steps),
        warmup: Number(values.warmup),
        maskRatio: Number(values['mask-ratio']),
        profile: values.profile,
      });
    }
  }
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB; node ${process.version}; load average ${os.loadavg().map((x) => fmt(x, 2)).join(' ')}`);
  const results: ChildResult[] = [];
  for (const spec of specs) {
    const t0 = performance.now();
    process.stderr.write(`[bench] ${spec.backend} ${spec.preset} batch ${spec.batch}: ${spec.warmup} warm-up + ${spec.steps} timed steps ... `);
    try {
      results.push(await runInChild(spec));
      process.stderr.write(`${fmt((performance.now() - t0) / 1000)} s\n`);
    } catch (err) {
      process.stderr.write(`failed\n${(err as Error).message}\n`);
    }
  }
  if (values.json) console.log(JSON.stringify(results));
  console.log('\n' + table(results) + '\n');
  console.log('Ceiling shapes (plain 2-D matMul GFLOP/s, fresh right operand per call) and the timed steps:\n');
  console.log(ceilingTable(results) + '\n');
  console.log('Images/s relative to wasm on the same preset:\n');
  console.log(speedupTable(results) + '\n');
  if (values.profile) console.log(profileTables(results));
  console.log(`load average after: ${os.loadavg().map((x) => fmt(x, 2)).join(' ')} (other processes on the box slow every figure)`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
