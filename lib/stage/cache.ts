/**
 * The pipeline's stage cache: a stage's key is sha256(stage, canonical config, digests of its inputs, code
 * version); its record (stages/<stage>/<key>.json) is written when the stage completes, so an identical stage in a
 * later run is skipped and a failed pipeline re-run resumes at the first stage without a record.
 */
import type { CachedStage, StageRecord } from '../config/pipeline';
import { NotFound } from '../errors';
import { joinKey, type ArtifactStore } from '../store';
import { stageKey } from './keys';

export const PIPELINE_CODE_VERSION = 'fsfm-pipeline/1';

export function stageRecordKey(stage: CachedStage, key: string): string {
  return joinKey('stages', stage, `${key}.json`);
}

export async function lookupStage<R>(store: ArtifactStore, stage: CachedStage, config: unknown, inputDigests: string[]): Promise<{ key: string; record: StageRecord<R> | null }> {
  const key = stageKey(stage, config, inputDigests, PIPELINE_CODE_VERSION);
  try {
    const record = JSON.parse((await store.get(stageRecordKey(stage, key))).toString('utf8')) as StageRecord<R>;
    return { key, record };
  } catch (err) {
    if (err instanceof NotFound) return { key, record: null };
    throw err;
  }
}

export async function recordStage(store: ArtifactStore, record: StageRecord): Promise<void> {
  await store.put(stageRecordKey(record.stage, record.key), JSON.stringify(record, null, 1), { contentType: 'application/json' });
}
