/** Options of face detection, cropping and region maps, with the reference's defaults (fsfm-method.md §1). */
import { z } from 'zod';
import { DLIB_BUILDS } from './dlib.js';

/** 'first': the detector's first face (the FSFM reference's faces[0]); 'largest': DeepfakeBench's choice. */
export const FACE_PICK_POLICIES = ['first', 'largest'] as const;
export type FacePickPolicy = (typeof FACE_PICK_POLICIES)[number];

export const DEFAULT_PREDICTOR_PATH = '/usr/share/dlib/shape_predictor_68_face_landmarks.dat';

export const faceOptionsSchema = z.strictObject({
  upsample: z
    .number()
    .int()
    .min(0)
    .max(3)
    .default(1)
    .describe('DLIB detector upsampling steps (each doubles the frame side); the reference uses 1'),
  pick: z
    .enum(FACE_PICK_POLICIES)
    .default('first')
    .describe(
      "which face of a multi-face frame to keep: 'first' (the FSFM reference: the detector's first, highest score) or 'largest' box area (DeepfakeBench)",
    ),
  dlib: z
    .enum(DLIB_BUILDS)
    .default('reference')
    .describe(
      "DLIB build: 'reference' computes dlib's reference boxes and landmarks bit for bit; 'avx2-fma' is faster but rounds differently (boxes +-1 px, landmarks a few px)",
    ),
  faceSizePx: z.number().int().min(16).max(1024).default(224).describe('side of the resized square face crop'),
  predictorPath: z
    .string()
    .min(1)
    .default(DEFAULT_PREDICTOR_PATH)
    .describe('DLIB 68-point shape predictor file (Debian package libdlib-data)'),
  hair: z.boolean().default(false).describe('paint a hair band (LaPa id 10) above the forehead estimate'),
});

export type FaceOptions = z.output<typeof faceOptionsSchema>;
export type FaceOptionsInput = z.input<typeof faceOptionsSchema>;
export const defaultFaceOptions: FaceOptions = faceOptionsSchema.parse({});
