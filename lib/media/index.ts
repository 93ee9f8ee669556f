/** Video probing, frame sampling and frame decoding on top of ffmpeg (the `lib/media` public API). */
export { probeVideo, probeVideos, type VideoInfo, type ProbeOptions, type ProbeOutcome } from './probe.js';
export { sampleIndices } from './sample-indices.js';
export {
  readFrames,
  readAllFrames,
  normalizeIndices,
  selectExpression,
  type Frame,
  type ReadFramesOptions,
} from './frames.js';
export { MediaOptions, defaultMediaOptions } from './options.js';
export { toolPath } from './tools.js';
