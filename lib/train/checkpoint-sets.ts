/**
 * Step-numbered committed sets under one parent (`<parent>/<step, 9 digits>/`): listing and keep-last-N pruning.
 * Shared by pretraining checkpoints (checkpoint.ts) and finetuning checkpoints and selected models (lib/finetune).
 */
import { listSets, MANIFEST_NAME } from '../store/sets.js';
import { joinKey, type ArtifactStore } from '../store/types.js';

export const STEP_DIGITS = 9;

export function stepSetPrefix(parent: string, step: number): string {
  return `${parent}/${String(step).padStart(STEP_DIGITS, '0')}`;
}

/** Committed step sets directly under `parent`, oldest first. */
export async function listStepSets(store: ArtifactStore, parent: string): Promise<{ step: number; prefix: string }[]> {
  const out: { step: number; prefix: string }[] = [];
  for (const prefix of await listSets(store, parent)) {
    const rest = prefix.slice(parent.length + 1);
    if (/^\d+$/.test(rest)) out.push({ step: Number(rest), prefix });
  }
  return out.sort((a, b) => a.step - b.step);
}

/**
 * Keeps the newest `keepLast` committed sets and those in `protect`, deletes the others (manifest first, so a
 * half-deleted set is never seen as committed) and any uncommitted objects of steps older than the newest committed
 * one (leftovers of interrupted writes). `dropAbove`: also delete every set (committed or not) of a step above it
 * (the future of a run that resumes from an older checkpoint). Returns the deleted prefixes, sorted.
 */
export async function pruneStepSets(
  store: ArtifactStore,
  parent: string,
  opts: { keepLast: number; protect?: readonly string[]; dropAbove?: number },
): Promise<string[]> {
  const committed = await listStepSets(store, parent);
  const keep = new Set(opts.keepLast > 0 ? committed.slice(-opts.keepLast).map((c) => c.prefix) : []);
  for (const p of opts.protect ?? []) keep.add(p);
  const newestStep = committed.length ? committed[committed.length - 1].step : -1;
  const objects = await store.list(`${parent}/`);
  const byPrefix = new Map<string, string[]>();
  for (const o of objects) {
    const folder = o.key.slice(parent.length + 1).split('/')[0];
    if (!/^\d+$/.test(folder)) continue;
    const prefix = `${parent}/${folder}`;
    let keys = byPrefix.get(prefix);
    if (!keys) byPrefix.set(prefix, (keys = []));
    keys.push(o.key);
  }
  const committedPrefixes = new Set(committed.map((c) => c.prefix));
  const deleted: string[] = [];
  for (const [prefix, keys] of byPrefix) {
    const step = Number(prefix.slice(parent.length + 1));
    const future = opts.dropAbove !== undefined && step > opts.dropAbove;
    if (!future) {
      if (keep.has(prefix)) continue;
      if (!committedPrefixes.has(prefix) && step >= newestStep) continue; // possibly being written right now
    }
    const manifestKey = joinKey(prefix, MANIFEST_NAME);
    if (keys.includes(manifestKey)) await store.delete(manifestKey);
    for (const key of keys) if (key !== manifestKey) await store.delete(key);
    deleted.push(prefix);
  }
  return deleted.sort();
}
