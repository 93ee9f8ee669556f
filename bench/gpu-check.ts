/**
 * bench/gpu-check: is the GPU engine working, and how fast is it? Run on a GPU machine after `make deps-gpu`.
 *
 *   npx tsx bench/gpu-check.ts [--presets demo,base] [--batch demo=64,base=32] [--steps 3]
 *
 * 1. Says in one line whether tfjs-node-gpu can run here (lib/tensor/backend.ts gpuEngineMissing: engine built,
 *    NVIDIA driver, libcuda.so.1, the CUDA libraries).
 * 2. GPU present: the demo and ViT-B ("base") pretraining steps on tfjs-node-gpu through bench/train.ts (same step,
 *    FLOP count and table: images/s, achieved GFLOP/s against the GPU's own plain matMul), plus the GPU memory in use
 *    (peak of `nvidia-smi --query-gpu=memory.used` sampled every 200 ms while it runs).
 *    No GPU: says so and runs the same check on the CPU engine (tfjs-node, demo preset, one step), so that the
 *    script itself is exercised on any machine; its figures are then CPU figures and are labelled so.
 * 3. With PyTorch importable by python3: an eager PyTorch training step of the same ViT dimensions beside it
 *    (bench/gpu_check_torch.py: encoder on the visible patches, decoder on all, MSE on the hidden ones, AdamW), the
 *    peer a user would compare against. Without PyTorch: says it skipped that.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FSFM_PRESETS, type FsfmPresetName } from '../lib/model/presets.js';
import { gpuEngineMissing } from '../lib/tensor/backend.js';

const root = path.resolve(__dirname, '..');

function gpuMemoryMiB(): number | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\n').filter(Boolean).map(Number).reduce((a, b) => a + b, 0);
}

async function runBench(args: string[]): Promise<{ code: number; peakGpuMiB: number | null }> {
  const before = gpuMemoryMiB();
  let peak = before;
  const timer = before === null ? null : setInterval(() => (peak = Math.max(peak ?? 0, gpuMemoryMiB() ?? 0)), 200);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'train.ts'), ...args], { stdio: 'inherit', cwd: root });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (timer) clearInterval(timer);
  return { code, peakGpuMiB: peak === null || before === null ? null : peak - before };
}

function torchPresent(): string | null {
  const r = spawnSync('python3', ['-c', 'import torch; print(torch.__version__, torch.cuda.is_available())'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      presets: { type: 'string', default: 'demo,base' },
      batch: { type: 'string', default: 'demo=64,base=32' },
      steps: { type: 'string', default: '3' },
    },
  });
  const presets = values.presets.split(',').filter(Boolean) as FsfmPresetName[];
  for (const p of presets) if (!(p in FSFM_PRESETS)) throw new Error(`unknown preset ${p}; known: ${Object.keys(FSFM_PRESETS).join(', ')}`);
  const missing = gpuEngineMissing();
  let code: number;
  if (missing === null) {
    console.log('[gpu-check] GPU engine ready: tfjs-node-gpu (TensorFlow 2.21, CUDA 12)');
    const r = await runBench(['--backends', 'tfjs-node-gpu', '--presets', presets.join(','), '--batch', values.batch, '--steps', values.steps]);
    code = r.code;
    console.log(`[gpu-check] GPU memory in use during the run (peak over the start, nvidia-smi): ${r.peakGpuMiB ?? '?'} MiB`);
  } else {
    console.log(`[gpu-check] ${missing}; checking the script on the CPU engine instead (tfjs-node, demo, 1 step): CPU figures, not GPU ones`);
    code = (await runBench(['--backends', 'tfjs-node', '--presets', 'demo', '--batch', 'demo=2', '--steps', '1', '--warmup', '0'])).code;
  }
  const torch = torchPresent();
  if (!torch) {
    console.log('[gpu-check] PyTorch is not importable by python3: the PyTorch peer is skipped');
  } else {
    console.log(`[gpu-check] PyTorch ${torch.split(' ')[0]} (CUDA available: ${torch.split(' ')[1]}): eager step of the same ViT dimensions`);
    for (const preset of missing === null ? presets : (['demo'] as FsfmPresetName[])) {
      const batch = missing === null ? Number(new Map(values.batch.split(',').map((kv) => kv.split('=') as [string, string])).get(preset) ?? 8) : 2;
      const a = FSFM_PRESETS[preset];
      const r = spawnSync('python3', [path.join(root, 'bench', 'gpu_check_torch.py'), JSON.stringify({ preset, batch, steps: Number(values.steps), arch: a })], { stdio: 'inherit' });
      if (r.status !== 0) code ||= r.status ?? 1;
    }
  }
  process.exitCode = code;
}

void main().catch((err) => {
  console.error(`[gpu-check] ${(err as Error).message}`);
  process.exit(1);
});
