/** Dataset adapters: recognise a dataset folder's layout and list its videos/images as manifest rows. */
export { buildManifest, detectLayout, adapters, adapterFor, type Manifest } from './build.js';
export { ManifestRow, toJsonl, parseJsonl } from './manifest.js';
export {
  DatasetOptions,
  DatasetFormat,
  datasetFormats,
  Split,
  FfppMethod,
  ffppMethods,
  diffSubsets,
  type DatasetOptionsInput,
} from './options.js';
export { DatasetRoot, mediaKind, VIDEO_EXTENSIONS, IMAGE_EXTENSIONS, type MediaKind } from './paths.js';
export type { DatasetAdapter, AdapterContext } from './adapter.js';
