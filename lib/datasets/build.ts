/** detectLayout and buildManifest: from a dataset folder to sorted, validated manifest rows. */
import { z } from 'zod';
import { InvalidConfig, InvalidDatasetLayout } from '../errors.js';
import type { DatasetAdapter } from './adapter.js';
import { celebdfAdapter } from './adapters/celebdf.js';
import { dfdcPreviewAdapter } from './adapters/dfdc-preview.js';
import { dfdcAdapter } from './adapters/dfdc.js';
import { diffAdapter } from './adapters/diff.js';
import { ffppAdapter } from './adapters/ffpp.js';
import { imageFoldersAdapter } from './adapters/image-folders.js';
import { mcioAdapter } from './adapters/mcio.js';
import { plainAdapter } from './adapters/plain.js';
import { wildDeepfakeAdapter } from './adapters/wilddeepfake.js';
import { finishRows, type ManifestRow } from './manifest.js';
import { DatasetOptions, type DatasetFormat, type DatasetOptionsInput } from './options.js';
import { DatasetRoot } from './paths.js';

/**
 * Detection order: the official layouts have distinctive landmarks; plain, MCIO and image folders are generic
 * shapes that an official layout could also match, so they come last (image folders match almost anything).
 */
export const adapters: readonly DatasetAdapter[] = [
  ffppAdapter,
  celebdfAdapter,
  dfdcAdapter,
  dfdcPreviewAdapter,
  wildDeepfakeAdapter,
  diffAdapter,
  plainAdapter,
  mcioAdapter,
  imageFoldersAdapter,
];

export function adapterFor(format: DatasetFormat): DatasetAdapter {
  const adapter = adapters.find((a) => a.format === format);
  if (!adapter) throw new InvalidConfig(`unknown dataset format: ${format}`);
  return adapter;
}

/** The layout of the folder at `root`; InvalidDatasetLayout listing every known layout when none matches. */
export async function detectLayout(root: string): Promise<DatasetFormat> {
  const opened = await DatasetRoot.open(root);
  return (await detectIn(opened)).format;
}

async function detectIn(root: DatasetRoot): Promise<DatasetAdapter> {
  for (const adapter of adapters) if (await adapter.detect(root)) return adapter;
  throw new InvalidDatasetLayout(
    [
      `no known dataset layout under ${root.given}; expected one of:`,
      ...adapters.map((a) => `  - ${a.format} (${a.title}): ${a.expected}`),
    ].join('\n'),
  );
}

export interface Manifest {
  format: DatasetFormat;
  dataset: string;
  /** Sorted by path; ids `<dataset>/<path>`. */
  rows: ManifestRow[];
  /** What was left out on purpose and why (for logs and the prepare summary). */
  notes: string[];
}

/**
 * Reads a dataset folder into manifest rows. Options are parsed with the shared schema (InvalidConfig on bad
 * options); a wrong layout is one InvalidDatasetLayout listing all missing parts; a path escaping the root
 * (listed `..`, absolute, or a symlink out) is an InvalidPath naming it.
 */
export async function buildManifest(input: DatasetOptionsInput): Promise<Manifest> {
  const parsed = DatasetOptions.safeParse(input);
  if (!parsed.success) throw new InvalidConfig(`invalid dataset options:\n${z.prettifyError(parsed.error)}`);
  const options = parsed.data;
  const root = await DatasetRoot.open(options.root);
  const adapter = options.format === 'auto' ? await detectIn(root) : adapterFor(options.format);
  const notes: string[] = [];
  let rows = await adapter.read({ root, options, notes });
  if (options.splits) {
    const keep = new Set(options.splits);
    rows = rows.filter((r) => keep.has(r.split));
  }
  if (rows.length === 0) {
    throw new InvalidDatasetLayout(
      `${adapter.title} under ${options.root} has no ${options.splits ? `${options.splits.join('/')} ` : ''}` +
        `videos or images to use${notes.length ? ` (${notes.join('; ')})` : ''}`,
    );
  }
  const dataset = options.name ?? adapter.defaultName(options, root);
  return { format: adapter.format, dataset, rows: finishRows(dataset, rows), notes };
}
