import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { ProbeRecord, ProbeVideosInput, ProbeVideosResult } from '../lib/config';
import { InvalidPath } from '../lib/errors';
import { probeVideos } from '../lib/media';
import { SetWriter, joinKey, type ArtifactStore } from '../lib/store';

const MAX_FAILURES_IN_RESULT = 20;

/** Regular files under `dir` (hidden entries skipped; symlinked folders not followed), in path order. */
export async function listFiles(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await fs.promises.readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isFile()) out.push(p);
      else if (e.isDirectory() && recursive) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

/** Runs ffprobe over every file; a file that is not a readable video becomes a failed record, never a failed run. */
export function makeProbeActivities(store: ArtifactStore) {
  return {
    async probeVideos(input: ProbeVideosInput & { workflowId: string }): Promise<ProbeVideosResult> {
      const ctx = Context.current();
      const root = path.resolve(input.videosDir);
      const st = await fs.promises.stat(root).catch(() => null);
      if (!st?.isDirectory()) throw new InvalidPath(`videosDir ${input.videosDir} is not a folder the worker can read (resolved to ${root})`);
      const files = await listFiles(root, input.recursive);
      const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
      const outcomes = await probeVideos(files, {
        concurrency: input.concurrency,
        signal: ctx.cancellationSignal,
        onProgress: (done, total, last) => ctx.heartbeat({ done, total, current: rel(last.path) }),
      });
      const records: ProbeRecord[] = outcomes.map((o) =>
        o.ok
          ? { path: rel(o.path), ok: true, frames: o.info.frames, fps: o.info.fps.avg, widthPx: o.info.widthPx, heightPx: o.info.heightPx, durationS: o.info.durationS, codec: o.info.codec }
          : { path: rel(o.path), ok: false, error: o.error.message },
      );

      const prefix = input.outputPrefix ?? joinKey('probes', input.workflowId);
      const ok = records.filter((r) => r.ok);
      const result: ProbeVideosResult = {
        manifestPrefix: prefix,
        manifestKey: joinKey(prefix, 'probe.jsonl'),
        total: records.length,
        ok: ok.length,
        failed: records.length - ok.length,
        totalFrames: ok.reduce((s, r) => s + (r.frames ?? 0), 0),
        failures: records.filter((r) => !r.ok).slice(0, MAX_FAILURES_IN_RESULT).map((r) => ({ path: r.path, error: r.error! })),
      };
      const set = new SetWriter(store, prefix);
      await set.put('probe.jsonl', records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''), { contentType: 'application/x-ndjson' });
      await set.commit('probe', { ...result, videosDir: root });
      return result;
    },
  };
}
