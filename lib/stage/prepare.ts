/**
 * The prepare stage around lib/prepare: a plan (the selected manifest rows cut into work units, committed to the
 * store so every activity reads the same rows by reference), per-unit work with a ledger of each row's outcome,
 * and the final pack. Temporal-free; activities/prepare.ts calls these.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { buildManifest, parseJsonl, toJsonl, type ManifestRow } from '../datasets';
import type { PrepareDatasetInput, PrepareDatasetResult } from '../config/prepare';
import { FsfmError, InvalidConfig } from '../errors';
import { dlibBuildId } from '../faces/dlib';
import { PREPARE_CODE_VERSION } from '../prepare/keys';
import { parsePrepareOptions, type PrepareOptions } from '../prepare/options';
import { capRows, isPerVideoFailure, prepareVideo, selectRows } from '../prepare/video';
import { packShards, SUMMARY_NAME, type PackVideo, type PreparedMeta, type PreparedSummary } from '../prepare/pack';
import { joinKey, readMember, readSet, SetWriter, type ArtifactStore, type SetManifest } from '../store';
import { stageKey } from './keys';

/**
 * Per-video outputs are content-addressed (file sha256 + the options that shape them), so they live in one shared
 * root and any stage whose plan differs only in packing, splits or caps reuses them.
 */
export const PREPARED_VIDEOS_ROOT = 'prepared/cache';

export interface PreparePlan extends Record<string, unknown> {
  kind: 'prepare-plan';
  prefix: string;
  videosRoot: string;
  dataset: string;
  datasetRoot: string;
  options: PrepareOptions;
  rows: number;
  /** Work units as [start, end) row ranges: one video, or up to imagesPerUnit images. */
  units: Array<[number, number]>;
  stageKey: string;
}

export interface PlanResult {
  planPrefix: string;
  prefix: string;
  dataset: string;
  units: number;
  videosTotal: number;
  /** The committed prepared set's summary, when this exact stage already ran to the end. */
  existing: PrepareDatasetResult | null;
}

export type LedgerEntry =
  | { row: number; videoId: string; key: string; faces: number; skipped: boolean; warning?: string }
  | { row: number; videoId: string; error: { type: string; message: string } };

export interface UnitResult {
  unit: number;
  entries: LedgerEntry[];
}

/** Reads the dataset, selects the rows this purpose prepares, and commits the plan under the stage's prefix. */
export async function planPrepare(input: PrepareDatasetInput, store: ArtifactStore): Promise<PlanResult> {
  const options = parsePrepareOptions(input.prepare);
  const datasetRoot = path.resolve(input.dataset.root);
  const manifest = await buildManifest(input.dataset);
  let rows = selectRows(manifest.rows, options);
  if (input.maxVideos !== undefined) rows = capRows(rows, input.maxVideos);
  if (rows.length === 0) throw new InvalidConfig(`dataset ${manifest.dataset} at ${datasetRoot} has no rows to prepare for purpose ${options.purpose}`);
  // Digest of the inputs without reading them: each file's path, size, mtime and ctime (and inode). Any write to a
  // file moves its ctime, which no tool can set back, so changed bytes always change the key; a key that changes
  // without new bytes only costs a re-plan, since the per-video outputs are keyed by content (sha256).
  const fileDigest = crypto.createHash('sha256');
  for (const r of rows) {
    const st = await fs.promises.stat(path.join(datasetRoot, r.path)).catch(() => null);
    fileDigest.update(`${r.id}\t${r.path}\t${r.label}\t${r.split}\t${st?.size ?? -1}\t${st?.mtimeMs ?? -1}\t${st?.ctimeMs ?? -1}\t${st?.ino ?? -1}\n`);
  }
  const key = stageKey(
    'prepare',
    { dataset: { ...input.dataset, root: datasetRoot }, options, imagesPerUnit: input.imagesPerUnit, maxVideos: input.maxVideos, dlib: dlibBuildId(options.face.dlib) },
    [fileDigest.digest('hex')],
    PREPARE_CODE_VERSION,
  );
  const prefix = input.outputPrefix ?? joinKey('prepared', key.slice(0, 32));
  // One plan per key: a run with other options or files under the same outputPrefix never reads an older plan.
  const planPrefix = joinKey(prefix, 'plans', key.slice(0, 32));

  // Reuse only a set packed from this very key; a set packed under another key is replaced by this run.
  const existing = input.force ? null : await readPreparedResult(store, prefix, planPrefix, undefined, key);
  const units = cutUnits(rows, input.imagesPerUnit);
  if (input.force || !(await readSet(store, planPrefix))) {
    const w = new SetWriter(store, planPrefix);
    await w.put('rows.jsonl', toJsonl(rows), { contentType: 'application/x-ndjson' });
    const plan: PreparePlan = { kind: 'prepare-plan', prefix, videosRoot: PREPARED_VIDEOS_ROOT, dataset: manifest.dataset, datasetRoot, options, rows: rows.length, units, stageKey: key };
    await w.commit('prepare-plan', plan);
  }
  return { planPrefix, prefix, dataset: manifest.dataset, units: units.length, videosTotal: rows.length, existing };
}

function cutUnits(rows: readonly ManifestRow[], imagesPerUnit: number): Array<[number, number]> {
  const units: Array<[number, number]> = [];
  let i = 0;
  while (i < rows.length) {
    let j = i + 1;
    if (rows[i].kind === 'image') while (j < rows.length && j - i < imagesPerUnit && rows[j].kind === 'image') j++;
    units.push([i, j]);
    i = j;
  }
  return units;
}

const planCache = new Map<string, { plan: PreparePlan; rows: ManifestRow[] }>();

export async function loadPlan(store: ArtifactStore, planPrefix: string): Promise<{ plan: PreparePlan; rows: ManifestRow[] }> {
  const cacheKey = `${store.uri}|${planPrefix}`;
  const cached = planCache.get(cacheKey);
  if (cached) return cached;
  const set = await readSet<PreparePlan>(store, planPrefix);
  if (!set) throw new InvalidConfig(`no committed prepare plan at ${planPrefix}`);
  const rows = parseJsonl((await readMember(store, set as SetManifest<unknown>, 'rows.jsonl')).toString('utf8'));
  const loaded = { plan: set.meta, rows };
  planCache.set(cacheKey, loaded);
  if (planCache.size > 16) planCache.delete(planCache.keys().next().value!);
  return loaded;
}

/** Ledgers live under their plan, so two plans sharing an output prefix never read each other's outcomes. */
function ledgerKey(planPrefix: string, unit: number): string {
  return joinKey(planPrefix, 'ledger', `${String(unit).padStart(7, '0')}.json`);
}

/**
 * Prepares every row of one unit. A row's own bad input (corrupt file, no face, missing file) is recorded in the
 * ledger and does not fail the unit; anything else (store down, ffmpeg missing) throws so the activity retries
 * or the run stops. Rows whose outcome is committed are reused unless `force`.
 */
export async function prepareUnit(
  store: ArtifactStore,
  args: { planPrefix: string; unit: number; force?: boolean; signal?: AbortSignal; onProgress?: (p: { videoId: string; done: number; total: number }) => void },
): Promise<UnitResult> {
  const { plan, rows } = await loadPlan(store, args.planPrefix);
  const range = plan.units[args.unit];
  if (!range) throw new InvalidConfig(`unit ${args.unit} is outside the plan (${plan.units.length} units)`);
  const entries: LedgerEntry[] = [];
  for (let r = range[0]; r < range[1]; r++) {
    const row = rows[r];
    try {
      const res = await prepareVideo(row, {
        datasetRoot: plan.datasetRoot,
        store,
        prefix: plan.videosRoot,
        options: plan.options,
        signal: args.signal,
        force: args.force,
        decodeThreads: 1,
        onFrame: (done, total) => args.onProgress?.({ videoId: row.id, done, total }),
      });
      const entry: LedgerEntry = { row: r, videoId: row.id, key: res.key, faces: res.faces, skipped: res.skipped };
      if (res.warning !== undefined) entry.warning = res.warning;
      entries.push(entry);
    } catch (err) {
      if (!isPerVideoFailure(err)) throw err;
      entries.push({ row: r, videoId: row.id, error: { type: (err as FsfmError).name, message: (err as Error).message } });
    }
  }
  await store.put(ledgerKey(args.planPrefix, args.unit), JSON.stringify(entries));
  return { unit: args.unit, entries };
}

/** Packs every unit's outcomes into shards and commits the prepared set; returns the stage's result. */
export async function packPrepared(store: ArtifactStore, args: { planPrefix: string; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; runStats: { processed: number; skipped: number } }): Promise<PrepareDatasetResult> {
  const { plan, rows } = await loadPlan(store, args.planPrefix);
  const videos: PackVideo[] = [];
  for (let u = 0; u < plan.units.length; u++) {
    const entries = JSON.parse((await store.get(ledgerKey(args.planPrefix, u))).toString('utf8')) as LedgerEntry[];
    for (const e of entries) videos.push('key' in e ? { row: rows[e.row], key: e.key } : { row: rows[e.row], error: e.error });
  }
  const manifest = await packShards({ store, prefix: plan.prefix, videosRoot: plan.videosRoot, videos, options: plan.options, stageKey: plan.stageKey, signal: args.signal, onProgress: args.onProgress });
  const result = await readPreparedResult(store, plan.prefix, args.planPrefix, manifest, plan.stageKey);
  return { ...result!, videosProcessed: args.runStats.processed, videosSkipped: args.runStats.skipped };
}

async function readPreparedResult(
  store: ArtifactStore,
  prefix: string,
  planPrefix: string,
  committed: SetManifest<PreparedMeta> | undefined,
  key: string,
): Promise<PrepareDatasetResult | null> {
  const set = committed ?? (await readSet<PreparedMeta>(store, prefix));
  if (!set || set.meta.stageKey !== key) return null;
  const summary = JSON.parse((await readMember(store, set as SetManifest<unknown>, SUMMARY_NAME)).toString('utf8')) as PreparedSummary;
  const plan = await readSet<PreparePlan>(store, planPrefix);
  return {
    prefix,
    manifestKey: joinKey(prefix, 'faces.jsonl'),
    summaryKey: joinKey(prefix, SUMMARY_NAME),
    dataset: plan?.meta.dataset ?? '',
    reused: !committed,
    videosTotal: summary.videos.done + summary.videos.failed,
    videosProcessed: 0,
    videosSkipped: committed ? 0 : summary.videos.done + summary.videos.failed,
    videosFailed: summary.videos.failed,
    faces: summary.faces,
    shards: summary.shards.length,
    countsBySplit: summary.counts,
    failedByType: summary.failedByType,
    failures: summary.failed.slice(0, 20),
    videosPartial: summary.partial.length,
    partial: summary.partial.slice(0, 20),
  };
}
