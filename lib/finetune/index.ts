export { FinetuneRng } from './random.js';
export { layerIdForParam, layerLrScale, decaysWeight, layerDecayGroups, layerDecayByParam, NO_WEIGHT_DECAY_NAMES, type LayerDecayGroup, type ParamShape } from './layer-decay.js';
export { labelSmoothingCrossEntropy, softTargetCrossEntropy, crossEntropy, smoothedOneHot } from './losses.js';
export { mixBatch, mixParams, cutmixBox, type MixupOptions, type ImageBatch, type MixedBatch } from './mixup.js';
export { resizeBicubic, warpAffine, flipHorizontal, type Box } from './resample.js';
export { randAugment, applyOp, RAND_AUGMENT_OPS, type RandAugmentOp, type RandAugmentOptions } from './rand-augment.js';
export { randomErase, type RandomErasingOptions } from './random-erasing.js';
export {
  normalize, meanFill, randomResizedCropBox, dfdAugment, dfdTrainTransform, evalResizeCrop, evalTransform, scaleSaturation,
  fasAugment, fasTrainTransform, fasEvalTransform, IMAGENET_NORMALIZATION, type Normalization,
} from './transforms.js';
export { classBalancedWeights, classBalancedSampler, WeightedSampler, type SampleRecord, type BalanceWithin } from './sampler.js';
export {
  finetuneConfigSchema, finetuneInitSchema, finetuneDataSchema, finetuneNormalizationSchema, parseFinetuneConfig, finetunePreset,
  finetunePeakLr, headForTask, FINETUNE_PRESETS, FINETUNE_TASKS, type FinetuneConfig, type FinetuneConfigInput, type FinetunePresetName,
  type FinetuneTask,
  finetuneOptionsSchema, dfdAugmentOptionsSchema, fasAugmentOptionsSchema, regularizationOptionsSchema, randAugmentOptionsSchema,
  randomErasingOptionsSchema, type FinetuneOptions, type FinetuneOptionsInput, type DfdAugmentOptions, type FasAugmentOptions,
  type RegularizationOptions,
} from './options.js';
export { subSeed } from './random.js';
export { runFinetuning, type FinetuneProgress, type FinetuneResult, type RunFinetuningOptions } from './train.js';
export { runFinetuningInChild, type FinetuneChild, type FinetuneChildOptions } from './child-runner.js';
export { buildInitialModel, readPretrainEncoder, type InitialModel } from './init.js';
export { PreparedFaceReader, refsDigest, type FaceRef } from './data.js';
export {
  loadClassifier, writeFinetuneCheckpoint, readFinetuneCheckpoint, resumeFinetune, listFinetuneCheckpoints, readFinetuneLatest,
  readBestPointer, writeSelectedModel, classifierWeights, finetunePrefix, finetuneCheckpointsPrefix, finetuneCheckpointPrefix,
  finetuneLatestKey, selectedModelsPrefix, selectedModelPrefix, bestPointerKey, FINETUNE_CHECKPOINT_KIND, FINETUNE_MODEL_KIND,
  type ClassifierInputSpec, type FinetuneCheckpoint, type FinetuneEpochRecord, type FinetuneState, type ModelSetMeta,
  type CheckpointMeta, type SelectedModelRef, type PointerFile,
} from './checkpoint.js';
