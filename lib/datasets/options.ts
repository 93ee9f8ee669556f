/**
 * Options for reading a dataset into a manifest: one schema shared by the workflow input, the CLI and the docs.
 * Defaults follow the paper (FF++ c23 with its four manipulations; Celeb-DF v2 tested on Celeb-real +
 * Celeb-synthesis as the reference does).
 */
import { z } from 'zod';

export const datasetFormats = [
  'ffpp',
  'celebdf',
  'dfdc',
  'dfdc-preview',
  'wilddeepfake',
  'diff',
  'mcio',
  'image-folders',
  'plain',
] as const;
export const DatasetFormat = z.enum(datasetFormats);
export type DatasetFormat = z.infer<typeof DatasetFormat>;

export const Split = z.enum(['train', 'val', 'test']);
export type Split = z.infer<typeof Split>;

/** The four FF++ manipulations the paper trains and tests on; FaceShifter and DeepFakeDetection are opt-in. */
export const ffppMethods = [
  'Deepfakes',
  'Face2Face',
  'FaceSwap',
  'NeuralTextures',
  'FaceShifter',
  'DeepFakeDetection',
] as const;
export const FfppMethod = z.enum(ffppMethods);
export type FfppMethod = z.infer<typeof FfppMethod>;

export const diffSubsets = ['T2I', 'I2I', 'FS', 'FE'] as const;
export const DiffSubset = z.enum(diffSubsets);

export const DatasetOptions = z
  .object({
    /** The dataset folder as the user downloaded it. */
    root: z.string().min(1),
    /** 'auto' recognises the layout (detectLayout); a name forces that adapter. */
    format: z.union([z.literal('auto'), DatasetFormat]).default('auto'),
    /** Dataset name in the manifest and in row ids; default per format ("ffpp-c23", "celebdf-v2", the root's name). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits and . _ + - only')
      .optional(),
    /** FF++ compression level folder. */
    compression: z.enum(['raw', 'c23', 'c40']).default('c23'),
    /** FF++ manipulations to include (each must be present). DeepFakeDetection adds original_sequences/actors. */
    methods: z.array(FfppMethod).min(1).default(['Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures']),
    /** FF++ folder (relative to the root) holding the official train/val/test.json split files. */
    splitsDir: z.string().min(1).default('splits'),
    /** Celeb-DF v2: include YouTube-real. The reference evaluation uses Celeb-real + Celeb-synthesis only. */
    celebdfYoutubeReal: z.boolean().default(false),
    /** DiFF subsets to include. */
    diffSubsets: z.array(DiffSubset).min(1).default([...diffSubsets]),
    /** MCIO domain folders to include (each must be present); default: every domain folder found. */
    mcioDomains: z.array(z.string().min(1)).min(1).optional(),
    /** plain: a CSV `path,label[,split]` relative to the root (default: the root's only *.csv, if no real/ fake/). */
    csv: z.string().min(1).optional(),
    /** Split given to image-folders rows (pretraining data). */
    imageFolderSplit: Split.default('train'),
    /** Split given to plain rows that carry none. */
    plainSplit: Split.default('test'),
    /** Keep only rows of these splits (e.g. ["train", "val"] for pretraining); default all. */
    splits: z.array(Split).min(1).optional(),
  })
  .strict();
export type DatasetOptions = z.infer<typeof DatasetOptions>;
export type DatasetOptionsInput = z.input<typeof DatasetOptions>;
