/** The contract every dataset layout implements. */
import type { RowInput } from './manifest.js';
import type { DatasetFormat, DatasetOptions } from './options.js';
import type { DatasetRoot } from './paths.js';

export interface AdapterContext {
  root: DatasetRoot;
  options: DatasetOptions;
  /** Things left out on purpose (files without a label, videos outside every split), for the build summary. */
  notes: string[];
}

export interface DatasetAdapter {
  format: DatasetFormat;
  /** Human name for messages, e.g. "FaceForensics++". */
  title: string;
  /** The layout in one line, shown when something is missing. */
  expected: string;
  defaultName(options: DatasetOptions, root: DatasetRoot): string;
  /** Cheap check for the layout's landmark folders/files (detectLayout). */
  detect(root: DatasetRoot): Promise<boolean>;
  /** Reads the layout into rows; throws ONE InvalidDatasetLayout listing everything missing. */
  read(ctx: AdapterContext): Promise<RowInput[]>;
}

/** "3 videos" / "1 video". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
