import type { ProbeVideosResult } from '../lib/config';

/** Human-readable summary of a workflow's result (the --json flag prints the raw result instead). */
export function formatResult(workflow: string, result: unknown): string {
  if (workflow === 'ProbeVideos') {
    const r = result as ProbeVideosResult;
    const lines = [`ProbeVideos: ${r.ok}/${r.total} videos probed, ${r.failed} failed, ${r.totalFrames} frames in all`, `  manifest: ${r.manifestKey}`];
    for (const f of r.failures) lines.push(`  failed: ${f.path}: ${f.error}`);
    return lines.join('\n');
  }
  return JSON.stringify(result, null, 2);
}
