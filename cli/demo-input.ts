/** What `make demo` runs: its sample datasets and its FsfmPipeline input (no Temporal here, so tests can read it). */
import path from 'node:path';

/**
 * The demo's datasets. `sample-ffpp` (c23) gives pretraining its real faces (train + val splits) and finetuning
 * its train and val splits; its test split holds identities from photos no train or val face comes from.
 * `sample-ffpp-test-c40` is that same held-out split re-encoded at CRF 40: unseen identities under a
 * compression shift (not another dataset).
 */
export function demoPipelineInput(sourceRoot: string, heldOutC40Root: string) {
  const ffpp = { format: 'ffpp', methods: ['Deepfakes', 'FaceSwap'] };
  const face = { upsample: 0 };
  return {
    preset: 'demo',
    datasets: {
      pretrain: [{ name: 'sample-ffpp', dataset: { root: sourceRoot, ...ffpp }, prepare: { framesPerRealVideo: 16, face } }],
      train: { name: 'sample-ffpp', dataset: { root: sourceRoot, ...ffpp }, prepare: { framesPerRealVideo: 32, framesPerFakeVideo: 16, face } },
      test: [{ name: 'sample-ffpp-test-c40', dataset: { root: heldOutC40Root, ...ffpp, compression: 'c40', splits: ['test'] }, prepare: { framesPerRealVideo: 16, framesPerFakeVideo: 8, face } }],
    },
    evaluate: { modelName: 'FSFM demo (ViT demo preset)' },
  };
}

/** The demo's source set: every identity, c23, seed 0. */
export const demoSource = (dataDir: string) => ({ out: path.join(dataDir, 'sample-ffpp') });
/** The held-out test split of the source set (same seed, so the same identities, pairs and splits) at c40. */
export const demoHeldOutC40 = (dataDir: string) => ({ out: path.join(dataDir, 'sample-ffpp-test-c40'), compression: 'c40' as const, splits: ['test' as const] });
