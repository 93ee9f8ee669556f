import type { PrepareDatasetResult, ProbeVideosResult } from '../lib/config';

/** Human-readable summary of a workflow's result (the --json flag prints the raw result instead). */
export function formatResult(workflow: string, result: unknown): string {
  if (workflow === 'ProbeVideos') {
    const r = result as ProbeVideosResult;
    const lines = [`ProbeVideos: ${r.ok}/${r.total} videos probed, ${r.failed} failed, ${r.totalFrames} frames in all`, `  manifest: ${r.manifestKey}`];
    for (const f of r.failures) lines.push(`  failed: ${f.path}: ${f.error}`);
    return lines.join('\n');
  }
  if (workflow === 'PrepareDataset') {
    const r = result as PrepareDatasetResult;
    const lines = [
      `PrepareDataset ${r.dataset}: ${r.faces} faces from ${r.videosTotal - r.videosFailed}/${r.videosTotal} videos in ${r.shards} shards` +
        (r.reused ? ' (already prepared: nothing to do)' : `; ${r.videosProcessed} prepared now, ${r.videosSkipped} reused`),
      `  faces by split: ${Object.entries(r.countsBySplit).map(([s, c]) => `${s} ${c.real} real / ${c.fake} fake`).join(', ') || 'none'}`,
      `  prepared set: ${r.prefix}  (faces.jsonl, shards/, summary.json)`,
    ];
    if (r.videosFailed) lines.push(`  ${r.videosFailed} failed: ${Object.entries(r.failedByType).map(([t, n]) => `${n} ${t}`).join(', ')}`);
    for (const f of r.failures) lines.push(`  failed: ${f.videoId}: ${f.type}: ${f.message}`);
    return lines.join('\n');
  }
  return JSON.stringify(result, null, 2);
}
