/**
 * The prepare stage's domain code (no Temporal): manifest rows -> faces, region maps and landmarks per video in
 * content-addressed sets -> shards plus lineage, committed as one prepared set that training and evaluation open.
 */
export {
  prepareOptionsSchema,
  parsePrepareOptions,
  framesPerVideo,
  defaultPrepareOptions,
  FRAMES_PER_VIDEO,
  PREPARE_PURPOSES,
  type PrepareOptions,
  type PrepareOptionsInput,
  type PreparePurpose,
} from './options.js';
export { PREPARE_CODE_VERSION, digestFile, framesForRow, keyInputs, videoKeyOf, predictorDigest, type VideoKeyInputs, type FileDigest } from './keys.js';
export {
  prepareVideo,
  videoKey,
  isVideoDone,
  readVideoOutcome,
  readVideoFaces,
  selectRows,
  isPerVideoFailure,
  rowFilePath,
  videoPrefix,
  frameName,
  VIDEO_SET_KIND,
  VIDEO_FACES_NAME,
  emptyPhaseTimes,
  PREPARE_PHASES,
  type PhaseTimes,
  type PreparePhase,
  type PrepareVideoContext,
  type PrepareVideoResult,
  type PreparedFace,
  type VideoFacesFile,
  type VideoSetMeta,
} from './video.js';
export {
  encodeShard,
  decodeShard,
  decodeShardWhere,
  readShardIndex,
  assembleShard,
  SHARD_MAGIC,
  SHARD_VERSION,
  type ShardRecord,
  type ShardRecordMeta,
  type EncodedShardRecord,
} from './shards.js';
export {
  packShards,
  openPrepared,
  verifyPrepared,
  shardName,
  PREPARED_SET_KIND,
  FACES_JSONL_NAME,
  VIDEOS_JSONL_NAME,
  SUMMARY_NAME,
  type PackVideo,
  type PackShardsInput,
  type FaceLine,
  type VideoLine,
  type PreparedMeta,
  type PreparedSummary,
  type PreparedSet,
} from './pack.js';
export { encodeFacePng, decodeFacePng, encodeMapPng, decodeMapPng } from './png.js';
