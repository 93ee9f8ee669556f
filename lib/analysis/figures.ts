/**
 * Figures of the attention analysis as self-contained SVG inside HTML (paper Fig. 2/3 style; no script, font or
 * link to fetch). Several checkpoints side by side share one y scale so that their panels compare.
 *
 * Stable hooks for browser tests: `svg.attention-distance-chart[data-model]` holding `circle.head-dot`
 * (one per block and head), `svg.kl-divergence-chart` holding one `polyline.kl-line[data-model]` per checkpoint,
 * `svg.attention-overlay[data-model][data-face]` holding the face `image` and `rect.attention-cell`s,
 * `svg.reconstruction-panel[data-model][data-strategy][data-face]` holding `image.recon-masked`, `image.recon-output`
 * and `image.recon-original`.
 */
import { escapeHtml, type Frame } from '../eval/report.js';
import { mean } from './attention-metrics.js';
import type { ReconstructionTriple } from './reconstruction.js';
import { type AttentionSummary, MAP_KIND_TEXT } from './summary.js';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];
const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

export const ANALYSIS_CSS = `
.analysis-charts{display:flex;flex-wrap:wrap;gap:1.25rem;align-items:flex-start}
.analysis-charts figure{margin:0}.analysis-charts figcaption{font-size:.85rem;color:#444;max-width:360px}
svg text{font-size:11px;fill:#333}.axis{stroke:#333;stroke-width:1}.grid{stroke:#e5e5e5;stroke-width:1}
.kl-line{fill:none;stroke-width:2}.overlays{display:flex;flex-wrap:wrap;gap:.5rem}
.reconstructions td,.reconstructions th{vertical-align:middle;text-align:left}
`;

const PANEL: Frame = { width: 340, height: 260, left: 52, top: 14, plotW: 270, plotH: 210 };

/** A "nice" upper bound ≥ v for an axis (1, 2, 2.5 or 5 × 10^k). */
export function niceMax(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(blocks: number, yMax: number, xLabel: string, yLabel: string): { svg: string; x: (block: number) => number; y: (v: number) => number } {
  const f = PANEL;
  const x = (b: number) => f.left + ((b + 0.5) / blocks) * f.plotW;
  const y = (v: number) => f.top + f.plotH - (v / yMax) * f.plotH;
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (k / 4) * yMax;
    parts.push(`<line class="grid" x1="${f.left}" y1="${fmt(y(v))}" x2="${f.left + f.plotW}" y2="${fmt(y(v))}"/>`);
    parts.push(`<text x="${f.left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${v < 10 ? v.toFixed(2) : fmt(v)}</text>`);
  }
  const step = Math.max(1, Math.ceil(blocks / 12));
  for (let b = 0; b < blocks; b += step) parts.push(`<text x="${fmt(x(b))}" y="${f.top + f.plotH + 14}" text-anchor="middle">${b + 1}</text>`);
  parts.push(`<line class="axis" x1="${f.left}" y1="${f.top + f.plotH}" x2="${f.left + f.plotW}" y2="${f.top + f.plotH}"/>`);
  parts.push(`<line class="axis" x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.top + f.plotH}"/>`);
  parts.push(`<text x="${fmt(f.left + f.plotW / 2)}" y="${f.height - 4}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  const cy = fmt(f.top + f.plotH / 2);
  parts.push(`<text x="12" y="${cy}" text-anchor="middle" transform="rotate(-90 12 ${cy})">${escapeHtml(yLabel)}</text>`);
  return { svg: parts.join(''), x, y };
}

/** ViT Fig. 7 style: one dot per head at each block's mean attention distance. */
export function attentionDistanceChart(summary: AttentionSummary, yMaxPx: number): string {
  const blocks = summary.meanDistancePx.length;
  const { svg, x, y } = frame(blocks, yMaxPx, 'block', 'mean attention distance (px)');
  const dots = summary.meanDistancePx.flatMap((heads, b) =>
    heads.map((v, h) => {
      const jitter = heads.length > 1 ? ((h / (heads.length - 1)) - 0.5) * (PANEL.plotW / blocks) * 0.5 : 0;
      return `<circle class="head-dot" data-block="${b + 1}" data-head="${h}" cx="${fmt(x(b) + jitter)}" cy="${fmt(y(v))}" r="3" fill="${PALETTE[h % PALETTE.length]}"><title>block ${b + 1}, head ${h}: ${v.toFixed(1)} px</title></circle>`;
    }),
  );
  return `<svg class="attention-distance-chart" data-model="${escapeHtml(summary.label)}" xmlns="http://www.w3.org/2000/svg" width="${PANEL.width}" height="${PANEL.height}" viewBox="0 0 ${PANEL.width} ${PANEL.height}" role="img" aria-label="mean attention distance per head, ${escapeHtml(summary.label)}">${svg}${dots.join('')}</svg>`;
}

/** KL divergence between heads per block: each checkpoint's block mean as a line, its heads as dots. */
export function klDivergenceChart(summaries: readonly AttentionSummary[]): string {
  const blocks = Math.max(...summaries.map((s) => s.klPerHead.length));
  const yMax = niceMax(Math.max(...summaries.flatMap((s) => s.klPerHead.flat())));
  const { svg, x, y } = frame(blocks, yMax, 'block', 'KL divergence between heads (nats)');
  const series = summaries.map((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const points = s.klPerHead.map((heads, b) => `${fmt(x(b))},${fmt(y(mean(heads)))}`).join(' ');
    const dots = s.klPerHead.flatMap((heads, b) => heads.map((v, h) => `<circle class="kl-dot" data-block="${b + 1}" data-head="${h}" cx="${fmt(x(b))}" cy="${fmt(y(v))}" r="2" fill="${colour}" fill-opacity=".45"/>`));
    return `<polyline class="kl-line" data-model="${escapeHtml(s.label)}" stroke="${colour}" points="${points}"/>${dots.join('')}`;
  });
  const legend = summaries.map(
    (s, i) => `<text x="${PANEL.left + 8}" y="${PANEL.top + 12 + 13 * i}" fill="${PALETTE[i % PALETTE.length]}" style="fill:${PALETTE[i % PALETTE.length]}">${escapeHtml(s.label)}</text>`,
  );
  return `<svg class="kl-divergence-chart" xmlns="http://www.w3.org/2000/svg" width="${PANEL.width}" height="${PANEL.height}" viewBox="0 0 ${PANEL.width} ${PANEL.height}" role="img" aria-label="KL divergence between heads">${svg}${series.join('')}${legend.join('')}</svg>`;
}

/** The face with its g×g attention cells drawn over it in red, opacity ∝ weight / max weight. */
export function attentionOverlay(summary: AttentionSummary, faceIndex: number, sizePx = 160): string {
  const face = summary.maps[faceIndex];
  const g = summary.gridSize;
  const cell = sizePx / g;
  const peak = Math.max(...face.map, Number.MIN_VALUE);
  const cells = face.map.map((v, i) => {
    const r = Math.floor(i / g);
    const c = i % g;
    return `<rect class="attention-cell" x="${fmt(c * cell)}" y="${fmt(r * cell)}" width="${fmt(cell)}" height="${fmt(cell)}" fill="#ff2000" fill-opacity="${(0.75 * (v / peak)).toFixed(3)}"/>`;
  });
  return (
    `<svg class="attention-overlay" data-model="${escapeHtml(summary.label)}" data-face="${escapeHtml(face.faceId)}" xmlns="http://www.w3.org/2000/svg" width="${sizePx}" height="${sizePx}" viewBox="0 0 ${sizePx} ${sizePx}">` +
    `<image href="data:image/png;base64,${face.facePngBase64}" x="0" y="0" width="${sizePx}" height="${sizePx}" preserveAspectRatio="none"/>${cells.join('')}</svg>`
  );
}

const STRATEGY_TITLES: Record<string, string> = { random: 'random', 'fasking-i': 'Fasking-I', frp: 'FRP', 'crfr-r': 'CRFR-R', 'crfr-p': 'CRFR-P' };

/** One face under one masking strategy: masked input | reconstruction | original, side by side. */
export function reconstructionPanel(label: string, strategy: string, face: ReconstructionTriple, sizePx = 112): string {
  const gap = 4;
  const width = 3 * sizePx + 2 * gap;
  const img = (cls: string, b64: string, i: number) =>
    `<image class="${cls}" href="data:image/png;base64,${b64}" x="${i * (sizePx + gap)}" y="0" width="${sizePx}" height="${sizePx}" preserveAspectRatio="none"/>`;
  return (
    `<svg class="reconstruction-panel" data-model="${escapeHtml(label)}" data-strategy="${escapeHtml(strategy)}" data-face="${escapeHtml(face.faceId)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${sizePx}" viewBox="0 0 ${width} ${sizePx}">` +
    `<title>${escapeHtml(`${STRATEGY_TITLES[strategy] ?? strategy}, ${face.faceId}: masked input, reconstruction, original (hidden-patch MSE ${face.hiddenMse.toFixed(3)})`)}</title>` +
    img('recon-masked', face.maskedPngBase64, 0) +
    img('recon-output', face.reconstructionPngBase64, 1) +
    img('recon-original', face.originalPngBase64, 2) +
    '</svg>'
  );
}

/** Supplement §F: per checkpoint, one row per masking strategy with each face's three panels. */
export function reconstructionSection(summaries: readonly AttentionSummary[]): string {
  const withRecon = summaries.filter((s) => s.reconstructions && s.reconstructions.strategies.length);
  if (!withRecon.length) return '';
  const blocks = withRecon.map((s) => {
    const r = s.reconstructions!;
    const rows = r.strategies.map((st) => {
      const cells = st.skipped
        ? `<td class="skipped">not drawn: ${escapeHtml(st.skipped)}</td>`
        : st.faces.map((f) => `<td>${reconstructionPanel(s.label, st.strategy, f)}</td>`).join('');
      const mse = st.faces.length ? ` <small>hidden MSE ${(st.faces.reduce((a, f) => a + f.hiddenMse, 0) / st.faces.length).toFixed(3)}</small>` : '';
      return `<tr data-strategy="${escapeHtml(st.strategy)}"><th>${escapeHtml(STRATEGY_TITLES[st.strategy] ?? st.strategy)}, ratio ${st.maskRatio}${mse}</th>${cells}</tr>`;
    });
    return `<figure><table class="reconstructions" data-model="${escapeHtml(s.label)}"><tbody>${rows.join('')}</tbody></table><figcaption>${escapeHtml(s.label)}: each cell shows the masked input (hidden patches grey), the reconstruction (decoder output in hidden patches, original in visible ones) and the original. ${r.normPixLoss ? 'The decoder predicts per-patch normalised pixels (norm_pix_loss); they are drawn with each original patch\'s mean and √(unbiased variance + 1e-6) put back.' : 'The decoder predicts pixels as such.'} Hidden MSE is in the loss's target space.</figcaption></figure>`;
  });
  return ['<section class="reconstruction-analysis"><h2>Reconstructions per masking strategy</h2>', ...blocks, '</section>'].join('\n');
}

/** Block means as a comparison table (first, middle and last block). */
function comparisonTable(summaries: readonly AttentionSummary[]): string {
  const rows = summaries.map((s) => {
    const n = s.meanDistancePx.length;
    const pick = [0, Math.floor((n - 1) / 2), n - 1];
    const cells = [...pick.map((b) => mean(s.meanDistancePx[b]).toFixed(1)), ...pick.map((b) => mean(s.klPerHead[b]).toFixed(3))];
    return `<tr><td>${escapeHtml(s.label)}</td><td>${s.faces}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const blocks = (s: AttentionSummary) => {
    const n = s.meanDistancePx.length;
    return [1, Math.floor((n - 1) / 2) + 1, n];
  };
  const [b0, bm, bl] = summaries.length > 0 ? blocks(summaries[0]) : [1, 1, 1];
  return (
    '<table class="attention-table"><thead><tr><th>checkpoint</th><th>faces</th>' +
    `<th>distance, block ${b0} (px)</th><th>block ${bm}</th><th>block ${bl}</th><th>KL, block ${b0}</th><th>block ${bm}</th><th>block ${bl}</th></tr></thead><tbody>` +
    rows.join('') +
    '</tbody></table>'
  );
}

/** The analysis as an HTML fragment (for a page of its own or another report). */
export function analysisSectionHtml(summaries: readonly AttentionSummary[], heading = 'Attention analysis'): string {
  if (summaries.length === 0) return '';
  const yMax = niceMax(Math.max(...summaries.flatMap((s) => s.meanDistancePx.flat())));
  const distance = summaries.map(
    (s) => `<figure>${attentionDistanceChart(s, yMax)}<figcaption>${escapeHtml(s.label)}: mean attention distance of each head (dots, one colour per head) per block, over ${s.faces} faces of ${s.imageSizePx} px.</figcaption></figure>`,
  );
  const overlays = summaries.map(
    (s) =>
      `<figure><div class="overlays">${s.maps.map((_, i) => attentionOverlay(s, i)).join('')}</div><figcaption>${escapeHtml(s.label)}: ${escapeHtml(MAP_KIND_TEXT[s.mapKind])}.</figcaption></figure>`,
  );
  return [
    `<section class="attention-analysis"><h2>${escapeHtml(heading)}</h2>`,
    '<p class="note">Mean attention distance: attention-weighted mean pixel distance between patch centres, patch queries and keys only (CLS excluded, weights renormalised), averaged over queries and faces (ViT, Dosovitskiy et al.). KL: for each head, the mean over the other heads of KL(head‖other) over all tokens, averaged over queries and faces.</p>',
    comparisonTable(summaries),
    `<div class="analysis-charts">${distance.join('')}<figure>${klDivergenceChart(summaries)}<figcaption>Mean KL divergence between heads per block (lines), each head (dots).</figcaption></figure></div>`,
    `<div class="analysis-charts">${overlays.join('')}</div>`,
    '</section>',
    reconstructionSection(summaries),
  ].join('\n');
}

/** A page of its own for the attention analysis. */
export function renderAnalysisHtml(summaries: readonly AttentionSummary[], title = 'FSFM attention analysis', extraSections: readonly string[] = []): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}h2{border-bottom:1px solid #ddd}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}${ANALYSIS_CSS}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    analysisSectionHtml(summaries),
    ...extraSections,
    '</body></html>',
    '',
  ].join('\n');
}

/** Markdown summary: block means per checkpoint. */
export function renderAnalysisMarkdown(summaries: readonly AttentionSummary[]): string {
  const lines = ['| checkpoint | faces | block | mean attention distance (px) | KL between heads (nats) |', '|---|---|---|---|---|'];
  for (const s of summaries) {
    s.meanDistancePx.forEach((heads, b) => {
      lines.push(`| ${s.label} | ${s.faces} | ${b + 1} | ${mean(heads).toFixed(1)} | ${mean(s.klPerHead[b]).toFixed(3)} |`);
    });
  }
  const recon = summaries.filter((s) => s.reconstructions?.strategies.length);
  if (recon.length) {
    lines.push('', '| checkpoint | masking strategy | ratio | faces reconstructed | hidden-patch MSE |', '|---|---|---|---|---|');
    for (const s of recon) {
      for (const st of s.reconstructions!.strategies) {
        const mse = st.faces.length ? (st.faces.reduce((a, f) => a + f.hiddenMse, 0) / st.faces.length).toFixed(4) : `not drawn: ${st.skipped ?? 'no faces'}`;
        lines.push(`| ${s.label} | ${st.strategy} | ${st.maskRatio} | ${st.faces.length} | ${mse} |`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
