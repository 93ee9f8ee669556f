/**
 * The classifier a finetuning run starts from (config.init) and the normalisation it is fed with:
 *   fsfm         the encoder of an FSFM pretraining checkpoint (online network by default, as the reference
 *                finetunes from checkpoint-*.pth), and that checkpoint's channel stats for 'checkpoint'
 *   scratch      timm's initialisation
 *   safetensors  an encoder in timm names/layouts (lib/train interop: exportEncoderSafetensors, timm's ViT)
 *   pth          a torch.save checkpoint's state_dict (the reference's released .pth files), read without PyTorch
 * The head (fc_norm + Linear, or the FAS embedder/classifier) always starts from its finetuning init.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig, NotFound } from '../errors.js';
import { type EncoderLoadReport, ClassifierModel } from '../model/heads.js';
import { archFromMetadata, assertSameArch, ENCODER_ARCH_FIELDS, encoderArch, type FsfmArch, resolveArch } from '../model/presets.js';
import { readMember, readSet } from '../store/sets.js';
import { joinKey, type ArtifactStore } from '../store/types.js';
import { CHECKPOINT_KIND, type TrainState } from '../train/checkpoint.js';
import { decodeSafetensors } from '../train/interop/safetensors.js';
import { openTorchCheckpoint, torchCheckpointArch } from '../train/interop/torch.js';
import { decodeTensors, type NamedArray, type TensorIndex } from '../train/tensor-file.js';
import { toTensors } from './checkpoint.js';
import type { FinetuneConfig } from './options.js';
import { IMAGENET_NORMALIZATION } from './transforms.js';

export type Rgb = [number, number, number];

export interface InitialModel {
  model: ClassifierModel;
  normalization: { mean: Rgb; std: Rgb };
  report: EncoderLoadReport | null;
  /** The store prefix or key the weights came from (null from scratch). */
  source: string | null;
}

export async function buildInitialModel(config: FinetuneConfig, store: ArtifactStore): Promise<InitialModel> {
  const init = config.init;
  let pretrainStats: { mean: Rgb; std: Rgb } | null = null;
  let weights: Map<string, NamedArray> | null = null;
  let layout: 'ours' | 'torch' = 'ours';
  let source: string | null = null;
  switch (init.from) {
    case 'scratch':
      break;
    case 'fsfm': {
      const ckpt = await readPretrainEncoder(store, init.checkpoint, init.branch);
      assertSameArch(encoderArch(resolveArch(config.model)), encoderArch(ckpt.arch), { model: 'the finetuning model', source: `the pretraining checkpoint ${ckpt.prefix}` });
      weights = ckpt.weights;
      pretrainStats = { mean: [...ckpt.normalization.mean] as Rgb, std: [...ckpt.normalization.std] as Rgb };
      source = ckpt.prefix;
      break;
    }
    case 'safetensors': {
      const file = decodeSafetensors(await getObject(store, init.key));
      const recorded = archFromMetadata(file.metadata);
      if (recorded) assertSameArch(encoderArch(resolveArch(config.model)), encoderFields(recorded), { model: 'the finetuning model', source: init.key });
      weights = file.tensors;
      layout = 'torch';
      source = init.key;
      break;
    }
    case 'pth': {
      const ckpt = await openTorchCheckpoint(await getObject(store, init.key));
      try {
        const recorded = torchCheckpointArch(ckpt.root);
        if (recorded) assertSameArch(encoderArch(resolveArch(config.model)), recorded, { model: 'the finetuning model', source: `${init.key} (args.model)` });
        weights = await ckpt.stateDict(init.entry);
      } finally {
        await ckpt.close();
      }
      layout = 'torch';
      source = init.key;
      break;
    }
  }

  const normalization = resolveNormalization(config, pretrainStats);
  if (!weights) return { model: new ClassifierModel(config.model), normalization, report: null, source };
  // Only the encoder's entries become tensors: a pretraining network also holds decoders and projectors.
  const encoderOnly = new Map([...weights].filter(([name]) => isEncoderEntry(name)));
  const tensors = toTensors(encoderOnly);
  try {
    const { model, report } = ClassifierModel.fromPretrained(config.model, tensors, { layout });
    return { model, normalization, report, source };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

function isEncoderEntry(name: string): boolean {
  return name === 'cls_token' || name === 'pos_embed' || name.startsWith('patch_embed.') || name.startsWith('blocks.');
}

function resolveNormalization(config: FinetuneConfig, pretrainStats: { mean: Rgb; std: Rgb } | null): { mean: Rgb; std: Rgb } {
  const n = config.normalization;
  if (n === 'imagenet') return { mean: [...IMAGENET_NORMALIZATION.mean] as Rgb, std: [...IMAGENET_NORMALIZATION.std] as Rgb };
  if (n === 'checkpoint') {
    if (!pretrainStats) throw new InvalidConfig("normalization 'checkpoint' needs init.from 'fsfm'");
    return pretrainStats;
  }
  return { mean: [...n.mean] as Rgb, std: [...n.std] as Rgb };
}

async function getObject(store: ArtifactStore, key: string): Promise<Buffer> {
  if (!(await store.stat(key))) throw new NotFound(`no object ${key} in the store (init weights)`);
  return store.get(key);
}

/**
 * One network's weights, the architecture and the channel stats of a pretraining checkpoint, reading only what
 * is needed (not the other network or the optimizer moments). `prefix` may also be a pretraining run folder
 * (runs/<id>/pretrain), whose latest.json is followed.
 */
export async function readPretrainEncoder(
  store: ArtifactStore,
  prefix: string,
  branch: 'online' | 'target',
): Promise<{ prefix: string; weights: Map<string, NamedArray>; arch: FsfmArch; normalization: TrainState['normalization']; config: TrainState['config'] }> {
  let manifest = await readSet(store, prefix);
  let resolved = prefix;
  if (!manifest) {
    const latestKey = joinKey(prefix, 'latest.json');
    if (!(await store.stat(latestKey))) throw new NotFound(`no pretraining checkpoint under ${prefix} (no committed set, no latest.json)`);
    resolved = (JSON.parse((await store.get(latestKey)).toString('utf8')) as { prefix: string }).prefix;
    manifest = await readSet(store, resolved);
    if (!manifest) throw new NotFound(`${latestKey} names ${resolved}, which is not committed`);
  }
  if (manifest.kind !== CHECKPOINT_KIND) throw new InvalidConfig(`${resolved} holds a ${manifest.kind} set, not a pretraining checkpoint`);
  const state = JSON.parse((await readMember(store, manifest, 'state.json')).toString('utf8')) as TrainState;
  const index = JSON.parse((await readMember(store, manifest, `${branch}.index.json`)).toString('utf8')) as TensorIndex;
  const weights = decodeTensors(await readMember(store, manifest, `${branch}.bin`), index);
  // The recorded architecture; older checkpoints only have the config, resolved with today's presets.
  return { prefix: resolved, weights, arch: state.arch ?? resolveArch(state.config.model), normalization: state.normalization, config: state.config };
}

function encoderFields(arch: Partial<FsfmArch>): Partial<FsfmArch> {
  return Object.fromEntries(ENCODER_ARCH_FIELDS.filter((f) => arch[f] !== undefined).map((f) => [f, arch[f]]));
}
