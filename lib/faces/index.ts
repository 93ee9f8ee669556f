/** Face detection, the reference's face crop, landmarks and LaPa region maps (the `lib/faces` public API). */
export {
  loadDlib,
  findDlibAddon,
  configureDlib,
  preloadDlib,
  dlibInfo,
  detectFaces,
  detectLandmarks,
  detectFacesWithLandmarks,
  type Box,
  type DetectedBox,
  type DetectedFace,
  type DlibInfo,
  type Point,
} from './dlib.js';
export { cropBox, pickFace, boxAreaPx, CROP_SCALE, type CropSquare } from './crop-box.js';
export { extractFace, parseFaceOptions, toCropCoordinates, type ExtractedFace } from './extract-face.js';
export { decodeImage, encodeImage, cropSquare, resizeSquare, assertRgb, type RgbImage, type DecodeOptions } from './image.js';
export {
  faceOptionsSchema,
  defaultFaceOptions,
  DEFAULT_PREDICTOR_PATH,
  FACE_PICK_POLICIES,
  type FaceOptions,
  type FaceOptionsInput,
  type FacePickPolicy,
} from './options.js';
export {
  regionMap,
  regionPolygons,
  fillPolygon,
  pointInPolygon,
  labelHistogram,
  LAPA,
  MAX_LAPA_ID,
  type Polygon,
  type RegionPolygon,
  type RegionMapOptions,
} from './region-map.js';
export { encodeRegionMapPng, decodeRegionMapPng, parseRegionMapNpy, readRegionMapNpy } from './region-map-io.js';
