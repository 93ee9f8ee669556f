/** The sample-dataset generator's public API (used by `make demo` and the tests). */
export { generateSampleDataset, planSampleDataset, EXTRA_IDS, type SampleDataset, type SamplePlan } from './dataset.js';
export { writeFaultyVideos, type FaultyVideos } from './faulty.js';
export {
  SampleDatasetOptions,
  SampleMethod,
  sampleMethods,
  frameCount,
  type SampleDatasetOptionsInput,
} from './options.js';
export { pairIdentities, type Pairing, type Pair, type Swap } from './pairs.js';
export { findIdentities, defaultPhotosDir, type Identity } from './photos.js';
export { generateMcioSample, MCIO_SAMPLE_DOMAINS, type McioSample, type McioSampleOptions } from './mcio.js';
export {
  STAMP_FILE,
  readValidStamp,
  type SampleDatasetStamp,
  type SampleParams,
  type StampVideo,
  type StampIdentity,
} from './stamp.js';
