/** FSFM pretraining (the `lib/train` public API): the loop, its optimizer, data pipeline, checkpoints and weight interop. */
export { runPretraining, type PretrainProgress, type PretrainResult, type RunPretrainingOptions } from './pretrain.js';
export { runPretrainingInChild, type PretrainChild, type PretrainChildOptions } from './child-runner.js';
export {
  forkTrainingChild,
  reviveChildError,
  serializeError,
  type ForkChildOptions,
  type TrainingChild,
  type SerializedError,
  type ChildToParent,
  type ChildStart,
} from './child-process.js';
export { serveChild, type ChildJobContext } from './child-entry.js';
export { listStepSets, pruneStepSets, stepSetPrefix, STEP_DIGITS } from './checkpoint-sets.js';
export {
  pretrainOptionsSchema,
  pretrainDataSchema,
  normalizationSchema,
  parsePretrainConfig,
  pretrainPreset,
  PRETRAIN_PRESETS,
  peakLr,
  effectiveBatchSize,
  type PretrainConfig,
  type PretrainConfigInput,
  type PretrainPresetName,
} from './options.js';
export { AdamW, type AdamWOptions, type AdamWState } from './adamw.js';
export { GradientAccumulator, clipByGlobalNorm, globalNorm } from './gradients.js';
export { learningRate, stepPlan, stepPosition, type LrSchedule, type StepPlan } from './schedule.js';
export {
  buildDataIndex,
  epochOrder,
  memoryFaceSource,
  isPretrainFace,
  streamSeed,
  type ChannelStats,
  type DataIndex,
  type FaceSource,
} from './data.js';
export { openPreparedFaces, type PreparedFaceSource } from './prepared-source.js';
export { BatchLoader, type LoadedBatch, type BatchLoaderOptions } from './loader.js';
export { resizeFace, resizeLabelsNearest } from './resize.js';
export {
  writeCheckpoint,
  readCheckpoint,
  resumeFrom,
  listCheckpoints,
  pruneCheckpoints,
  readLatest,
  modelWeights,
  loadModelWeights,
  checkpointPrefix,
  checkpointsPrefix,
  latestKey,
  pretrainPrefix,
  CHECKPOINT_KIND,
  type CheckpointContents,
  type TrainState,
  type LatestPointer,
} from './checkpoint.js';
export { encodeTensors, decodeTensors, type NamedArray, type TensorIndex } from './tensor-file.js';
export { TrainingDiverged } from './errors.js';
export {
  exportEncoderSafetensors,
  importEncoderSafetensors,
  importStateDict,
  importTorchCheckpoint,
  torchStateDict,
  isEncoderParam,
  POSITION_BUFFERS,
  type ImportReport,
  type ImportOptions,
} from './interop/weights.js';
export { encodeSafetensors, decodeSafetensors, type SafetensorsFile } from './interop/safetensors.js';
export { openTorchCheckpoint, TorchTensorRef, type TorchCheckpoint, type TorchDtype } from './interop/torch.js';
export { unpickle, PyGlobal, PyObject, type PickleHandlers } from './interop/pickle.js';
export { ZipReader, bufferAccess, fileAccess, type RandomAccess, type ZipEntry } from './interop/zip.js';
