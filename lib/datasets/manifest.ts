/** The manifest: one JSON line per video or image of a dataset, the input of the prepare stage. */
import { z } from 'zod';
import { InvalidConfig } from '../errors.js';
import { Split } from './options.js';
import { comparePaths } from './paths.js';

export const ManifestRow = z
  .object({
    /** `<dataset>/<path>`: unique within and across datasets, stable across runs. */
    id: z.string().min(1),
    dataset: z.string().min(1),
    /** Relative to the dataset root, POSIX separators. */
    path: z.string().min(1),
    kind: z.enum(['video', 'image']),
    label: z.enum(['real', 'fake']),
    /** The manipulation (FF++ method, DiFF subset) for fakes. */
    method: z.string().optional(),
    split: Split,
    /** The video an image or frame belongs to, for video-level metrics. */
    group: z.string().optional(),
    /** The source domain (MCIO domain, DiFF subset), for leave-one-domain-out protocols and per-subset reports. */
    domain: z.string().optional(),
  })
  .strict();
export type ManifestRow = z.infer<typeof ManifestRow>;

export type RowInput = Omit<ManifestRow, 'id' | 'dataset'>;

/** Adds id and dataset, drops undefined fields (so JSON lines are canonical) and sorts by path. */
export function finishRows(dataset: string, rows: RowInput[]): ManifestRow[] {
  return rows
    .map((r) => {
      const row: ManifestRow = {
        id: `${dataset}/${r.path}`,
        dataset,
        path: r.path,
        kind: r.kind,
        label: r.label,
        split: r.split,
      };
      if (r.method !== undefined) row.method = r.method;
      if (r.group !== undefined) row.group = r.group;
      if (r.domain !== undefined) row.domain = r.domain;
      return row;
    })
    .sort((a, b) => comparePaths(a.path, b.path));
}

export function toJsonl(rows: readonly ManifestRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

/** Parses and validates a manifest; the message names the first bad line. */
export function parseJsonl(text: string): ManifestRow[] {
  const rows: ManifestRow[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InvalidConfig(`manifest line ${i + 1} is not JSON`);
    }
    const parsed = ManifestRow.safeParse(value);
    if (!parsed.success) throw new InvalidConfig(`manifest line ${i + 1}: ${z.prettifyError(parsed.error)}`);
    if (ids.has(parsed.data.id)) throw new InvalidConfig(`manifest line ${i + 1}: duplicate id ${parsed.data.id}`);
    ids.add(parsed.data.id);
    rows.push(parsed.data);
  });
  return rows;
}
