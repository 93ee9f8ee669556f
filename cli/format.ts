import { CHANCE_FLAG, notBetterThanChance, type ConfidenceInterval } from '../lib/eval/bootstrap';
import { finetuneCurve, pretrainCurve } from '../lib/eval/curves';
import { selectionLabel, selectsOnTarget } from '../lib/finetune/selection';
export { finetuneCurve, pretrainCurve };
import type { AnalyzeResult, EvaluateResult, FinetuneResult, FsfmPipelineResult, FsfmSweepResult, PrepareDatasetResult, PretrainResult, ProbeVideosResult } from '../lib/config';
import { sweepMarkdown } from '../lib/sweep/table';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ciText = (ci: ConfidenceInterval | null | undefined) => (ci ? ` [${(ci.low * 100).toFixed(1)}, ${(ci.high * 100).toFixed(1)}]` : '');
const chanceText = (ci: ConfidenceInterval | null | undefined) => (notBetterThanChance(ci) ? ` (${CHANCE_FLAG})` : '');

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
    if (r.videosPartial) lines.push(`  ${r.videosPartial} partial (stream cut short; the sampled frames that decode are kept):`);
    for (const p of r.partial ?? []) lines.push(`  partial: ${p.warning}`);
    return lines.join('\n');
  }
  if (workflow === 'Pretrain') {
    const r = result as PretrainResult;
    const last = r.lossHistory.at(-1);
    return [
      `Pretrain ${r.runId}: step ${r.step}/${r.totalSteps} on ${r.backend}, loss ${last ? last.loss.toFixed(4) : '-'}${r.resumedFromStep ? ` (resumed from step ${r.resumedFromStep})` : ''}`,
      ...pretrainCurve(r.lossHistory),
      `  checkpoint: ${r.checkpointKey}`,
    ].join('\n');
  }
  if (workflow === 'Finetune') {
    const r = result as FinetuneResult;
    const perDomain = Object.entries(r.bestByDomain ?? {}).map(([d, b]) => `  selected for ${d}: ${b.key} (epoch ${b.epoch}, ${d} val loss ${b.valLoss?.toFixed(4) ?? '-'})`);
    return [
      `Finetune ${r.runId} (${r.task}): step ${r.step}/${r.totalSteps} on ${r.backend}`,
      ...finetuneCurve(r.history),
      `  selected (${selectionLabel(r.selection)}): ${r.bestKey ?? '-'} (epoch ${r.bestEpoch ?? '-'}, val loss ${r.bestValLoss?.toFixed(4) ?? '-'})`,
      ...perDomain,
    ].join('\n');
  }
  if (workflow === 'Analyze') {
    const r = result as AnalyzeResult;
    const rows = r.checkpoints.map(
      (c) => `  ${c.label} (${c.kind}, ${c.faces} faces): last block mean attention distance ${c.lastBlockDistancePx.toFixed(1)} px, KL between heads ${c.lastBlockKl.toFixed(3)}`,
    );
    return [`Analyze ${r.runId}:`, ...rows, `  report: ${r.reportHtmlKey}`, `  numbers: ${r.summaryKey}`].join('\n');
  }
  if (workflow === 'Evaluate') {
    const r = result as EvaluateResult;
    return [
      `Evaluate ${r.runId} (score = P(fake), fake = 1):`,
      ...r.testSets.map(
        (t) =>
          `  ${t.name}: video AUC ${pct(t.videoAuc)}${ciText(t.videoAucCi)}, frame AUC ${pct(t.frameAuc)}${ciText(t.frameAucCi)}, EER ${pct(t.eer)} (${t.faces} faces)${chanceText(t.videoAucCi)}` +
          (t.selection && selectsOnTarget(t.selection) ? ` [model ${t.model}: ${selectionLabel(t.selection)}]` : ''),
      ),
      ...r.failed.map((f) => `  ${f.name}: not scored: ${f.error}`),
      `  report: ${r.reportMarkdownKey}, ${r.reportHtmlKey}`,
    ].join('\n');
  }
  if (workflow === 'FsfmPipeline') {
    const r = result as FsfmPipelineResult;
    const prep = r.stages.prepare.map((s) => `${s.name}/${s.purpose} ${s.status}`).join(', ');
    return [
      `FsfmPipeline ${r.runId}`,
      `  stages: prepare (${prep}); pretrain ${r.stages.pretrain.status}; finetune ${r.stages.finetune.status}; evaluate ${r.stages.evaluate.status}`,
      ...pretrainCurve((r.stages.pretrain.result as PretrainResult | undefined)?.lossHistory ?? []),
      ...finetuneCurve((r.stages.finetune.result as FinetuneResult | undefined)?.history ?? []),
      '',
      '| test set | video AUC [95% CI] | frame AUC [95% CI] | EER | faces |',
      '|---|---|---|---|---|',
      ...r.metrics.map((m) => `| ${m.testSet} | ${pct(m.videoAuc)}${ciText(m.videoAucCi)}${chanceText(m.videoAucCi)} | ${pct(m.frameAuc)}${ciText(m.frameAucCi)} | ${pct(m.eer)} | ${m.faces} |`),
      '',
      `  score = P(fake), fake = 1; model selection: ${selectionLabel((r.stages.finetune.result as FinetuneResult | undefined)?.selection ?? 'source-val-loss')}`,
      `  checkpoint: ${r.stages.pretrain.checkpointKey ?? '-'}; model: ${r.stages.finetune.bestKey ?? '-'}`,
      `  report: ${r.reportMarkdownKey}, ${r.reportHtmlKey}`,
    ].join('\n');
  }
  if (workflow === 'FsfmSweep') {
    const r = result as FsfmSweepResult;
    return [
      `FsfmSweep ${r.runId}: ${r.points.length} points, ${r.completed} completed, ${r.failed} failed; stage runs: ${r.stageCounts.ran} ran, ${r.stageCounts.cached} cached; analysis ${r.analysis.status}`,
      '',
      sweepMarkdown(r.table, r.metrics, r.confidence),
      ...r.points.filter((p) => p.status === 'failed').map((p) => `  failed: ${p.label}: ${p.error}`),
      `  report: ${r.reportMarkdownKey}, ${r.reportHtmlKey}`,
    ].join('\n');
  }
  return JSON.stringify(result, null, 2);
}

