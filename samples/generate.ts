/**
 * CLI: tsx samples/generate.ts --out DIR [--seed N] [--fps N] [--seconds S] [--size PX] [--identities N]
 *      [--methods Deepfakes,FaceSwap] [--compression c23|c40] [--extras] [--splits test,...]
 * Writes a FaceForensics++-layout sample dataset into DIR, or does nothing when DIR already holds a complete
 * one made with the same parameters.
 */
import { parseArgs } from 'node:util';
import { FsfmError } from '../lib/errors.js';
import { generateSampleDataset } from './dataset.js';
import type { SampleDatasetOptionsInput } from './options.js';

const USAGE =
  'usage: tsx samples/generate.ts --out DIR [--seed N] [--fps N] [--seconds S] [--size PX] [--identities N] ' +
  '[--methods Deepfakes,FaceSwap] [--compression c23|c40] [--extras] [--splits test,...]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      fps: { type: 'string' },
      seconds: { type: 'string' },
      size: { type: 'string' },
      identities: { type: 'string' },
      methods: { type: 'string' },
      compression: { type: 'string' },
      extras: { type: 'boolean' },
      splits: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || !values.out) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const input: SampleDatasetOptionsInput = {
    out: values.out,
    seed: num(values.seed),
    fps: num(values.fps),
    seconds: num(values.seconds),
    sizePx: num(values.size),
    identities: num(values.identities),
    methods: values.methods?.split(',').map((m) => m.trim()) as SampleDatasetOptionsInput['methods'],
    compression: values.compression as SampleDatasetOptionsInput['compression'],
    extras: values.extras,
    splits: values.splits?.split(',').map((m) => m.trim()) as SampleDatasetOptionsInput['splits'],
  };
  const dataset = await generateSampleDataset(input);
  const fakes = dataset.videos.filter((v) => v.label === 'fake').length;
  const reals = dataset.videos.length - fakes;
  const bytes = Object.values(dataset.files).reduce((sum, f) => sum + f.bytes, 0);
  const splits = Object.entries(dataset.splits).map(([s, pairs]) => `${s} ${pairs.length}`).join(', ');
  console.log(
    `${dataset.reused ? 'up to date' : 'generated'}: ${dataset.root} — ${dataset.identities.length} identities, ` +
      `${reals} real + ${fakes} fake videos of ${dataset.params.framesPerVideo} frames at ${dataset.params.sizePx}px, ` +
      `pairs per split: ${splits}; ${(bytes / 1024 / 1024).toFixed(2)} MiB in ${(dataset.elapsedMs / 1000).toFixed(1)} s`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof FsfmError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
});
