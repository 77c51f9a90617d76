/**
 * The example's picture, a hand-written SVG: test error per epoch for both networks (mean over
 * seeds, the band from the best to the worst seed), or for a run of one epoch the training loss
 * of every batch (a test-error curve would be one point per network), and the paper's excitation picture at toy
 * scale: for each SE block, the mean excitation of every channel per digit class on the test
 * digits (top heatmap), and each class's deviation from the channel's mean over all classes
 * (bottom heatmap, one colour scale for all blocks, so the blocks' class specificity compares).
 */
import type { BlockExcitation, RunResult } from './train.js';

const WIDTH = 980;
const CURVE = { x: 80, y: 48, w: 590, h: 230 };
const MAP_TOP = 380;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ' ' + attrs : ''}>${esc(s)}</text>`;
}

/** Viridis-like sequential colour for t in [0, 1] (five stops, linear between them). */
function sequential(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Blue-white-red diverging colour for t in [-1, 1]. */
function diverging(t: number): string {
  const u = Math.min(1, Math.max(-1, t));
  const to = u < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(u);
  const c = [255, 255, 255].map((v, k) => Math.round(v + a * (to[k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const COLORS = { plain: '#1f77b4', se: '#d62728' };

/** Test error (%) per epoch: mean line and min..max band over the seeds of one model. */
function curve(runs: RunResult[], color: string, px: (e: number) => number, py: (err: number) => number): string {
  const epochs = runs[0].epochs.length;
  const errs = (e: number) => runs.map((r) => 100 * (1 - r.epochs[e].testAccuracy));
  const parts: string[] = [];
  if (runs.length > 1) {
    const top: string[] = [];
    const bottom: string[] = [];
    for (let e = 0; e < epochs; e++) {
      top.push(`${px(e + 1).toFixed(1)},${py(Math.max(...errs(e))).toFixed(1)}`);
      bottom.unshift(`${px(e + 1).toFixed(1)},${py(Math.min(...errs(e))).toFixed(1)}`);
    }
    parts.push(`<polygon points="${[...top, ...bottom].join(' ')}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
  }
  const mean = (e: number) => errs(e).reduce((a, b) => a + b, 0) / runs.length;
  const d = Array.from({ length: epochs }, (_, e) => `${e === 0 ? 'M' : 'L'}${px(e + 1).toFixed(1)},${py(mean(e)).toFixed(1)}`).join(' ');
  parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
  for (let e = 0; e < epochs; e++) parts.push(`<circle cx="${px(e + 1).toFixed(1)}" cy="${py(mean(e)).toFixed(1)}" r="2.5" fill="${color}"/>`);
  return parts.join('');
}

/** The error panel: log-scale y (percent), epochs on x. */
function errorPanel(plain: RunResult[], se: RunResult[]): string {
  const { x, y, w, h } = CURVE;
  const epochs = plain[0].epochs.length;
  const all = [...plain, ...se].flatMap((r) => r.epochs.map((e) => 100 * (1 - e.testAccuracy)));
  const lo = Math.log10(Math.max(0.1, Math.min(...all) * 0.9));
  const hi = Math.log10(Math.max(...all) * 1.1);
  const px = (e: number) => x + (epochs === 1 ? w / 2 : ((e - 1) / (epochs - 1)) * w);
  const py = (err: number) => y + ((hi - Math.log10(Math.max(err, 1e-3))) / (hi - lo)) * h;
  const parts: string[] = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#888"/>`];
  let ticks = [0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 50].filter((t) => Math.log10(t) >= lo && Math.log10(t) <= hi);
  // A narrow range (one epoch, close curves) gets its two ends as ticks instead.
  if (ticks.length < 2) ticks = [10 ** lo, 10 ** hi].map((t) => Number(t.toPrecision(2)));
  for (const tick of ticks) {
    parts.push(`<line x1="${x}" y1="${py(tick).toFixed(1)}" x2="${x + w}" y2="${py(tick).toFixed(1)}" stroke="#e4e4e4"/>`);
    parts.push(text(x - 6, py(tick) + 4, `${tick}%`, 'text-anchor="end" font-size="11"'));
  }
  for (let e = 1; e <= epochs; e++) parts.push(text(px(e), y + h + 16, String(e), 'text-anchor="middle" font-size="11"'));
  parts.push(text(x + w / 2, y + h + 34, 'epoch', 'text-anchor="middle" font-size="12"'));
  parts.push(yLabel('test error (%, log scale)'));
  parts.push(curve(plain, COLORS.plain, px, py));
  parts.push(curve(se, COLORS.se, px, py));
  const seeds = plain.length;
  parts.push(
    text(
      x + w / 2,
      y - 16,
      `Test error on 2,000 held-out digits (log scale; line: mean over ${seeds} seed${seeds === 1 ? '' : 's'}${seeds > 1 ? ', band: best to worst seed' : ''})`,
      'text-anchor="middle" font-size="13"',
    ),
  );
  return parts.join('\n');
}

/** The legend beside the top panel: each network's parameters and final test error. */
function legend(plain: RunResult[], se: RunResult[]): string {
  const { x, y, w } = CURVE;
  const parts: string[] = [];
  const final = (runs: RunResult[]) => {
    const errs = runs.map((r) => 100 * (1 - r.testAccuracy));
    const m = errs.reduce((a, b) => a + b, 0) / errs.length;
    const sd = errs.length > 1 ? Math.sqrt(errs.reduce((a, b) => a + (b - m) ** 2, 0) / (errs.length - 1)) : 0;
    return `${m.toFixed(2)}${errs.length > 1 ? ` +- ${sd.toFixed(2)}` : ''}%`;
  };
  const lx = x + w + 24;
  parts.push(`<line x1="${lx}" y1="${y + 20}" x2="${lx + 24}" y2="${y + 20}" stroke="${COLORS.plain}" stroke-width="3"/>`);
  parts.push(text(lx + 32, y + 24, `plain: ${plain[0].params.total} params`, 'font-size="12"'));
  parts.push(text(lx + 32, y + 40, `final test error ${final(plain)}`, 'font-size="12"'));
  parts.push(`<line x1="${lx}" y1="${y + 70}" x2="${lx + 24}" y2="${y + 70}" stroke="${COLORS.se}" stroke-width="3"/>`);
  const s = se[0].params;
  parts.push(text(lx + 32, y + 74, `SE: ${s.total} params`, 'font-size="12"'));
  parts.push(text(lx + 32, y + 90, `(SE blocks ${s.se}, ${((100 * s.se) / s.total).toFixed(1)}% of them)`, 'font-size="12"'));
  parts.push(text(lx + 32, y + 106, `final test error ${final(se)}`, 'font-size="12"'));
  return parts.join('\n');
}

/** Batches averaged into each point of the smoothed loss curve. */
const LOSS_WINDOW = 25;

/** The y-axis title of the top panel, written upwards along its left edge. */
function yLabel(label: string): string {
  const cx = CURVE.x - 52;
  const cy = CURVE.y + CURVE.h / 2;
  return text(cx, cy, label, `text-anchor="middle" font-size="12" transform="rotate(-90 ${cx} ${cy.toFixed(1)})"`);
}

/** Mean of every window of `LOSS_WINDOW` consecutive batches (shorter at the start), averaged over the runs. */
function smoothedLoss(runs: RunResult[]): number[] {
  const n = runs[0].batchLoss.length;
  const out = new Array<number>(n).fill(0);
  for (const r of runs) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += r.batchLoss[i];
      if (i >= LOSS_WINDOW) sum -= r.batchLoss[i - LOSS_WINDOW];
      out[i] += sum / Math.min(i + 1, LOSS_WINDOW) / runs.length;
    }
  }
  return out;
}

/**
 * The training-loss panel for a run of one epoch, where a test-error curve would be one point per
 * network: every batch's cross-entropy (thin) and its running mean (thick), log-scale y.
 */
function lossPanel(plain: RunResult[], se: RunResult[]): string {
  const { x, y, w, h } = CURVE;
  const n = plain[0].batchLoss.length;
  const all = [...plain, ...se].flatMap((r) => r.batchLoss).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.max(1e-4, Math.min(...all))) * 2) / 2;
  const hi = Math.ceil(Math.log10(Math.max(...all)) * 2) / 2;
  const px = (i: number) => x + (n === 1 ? w / 2 : (i / (n - 1)) * w);
  const py = (v: number) => y + ((hi - Math.log10(Math.max(v, 10 ** lo))) / (hi - lo)) * h;
  const parts: string[] = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#888"/>`];
  for (const tick of [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10].filter((t) => Math.log10(t) >= lo && Math.log10(t) <= hi)) {
    parts.push(`<line x1="${x}" y1="${py(tick).toFixed(1)}" x2="${x + w}" y2="${py(tick).toFixed(1)}" stroke="#e4e4e4"/>`);
    parts.push(text(x - 6, py(tick) + 4, String(tick), 'text-anchor="end" font-size="11"'));
  }
  // Round batch numbers as ticks (batch b is drawn at index b - 1): a step of 1, 2 or 5 times a power of 10.
  const unit = 10 ** Math.floor(Math.log10(Math.max(1, n / 5)));
  const step = [1, 2, 5, 10].map((m) => m * unit).find((v) => n / v <= 6) ?? 10 * unit;
  for (let b = step; b <= n; b += step) parts.push(text(px(b - 1), y + h + 16, String(b), 'text-anchor="middle" font-size="11"'));
  parts.push(text(x + w / 2, y + h + 34, `training batch (${plain[0].config.batch} digits each)`, 'text-anchor="middle" font-size="12"'));
  parts.push(yLabel('training loss (cross-entropy, log scale)'));
  for (const [runs, color] of [[plain, COLORS.plain], [se, COLORS.se]] as const) {
    for (const r of runs) {
      const raw = r.batchLoss.map((v, i) => `${i === 0 ? 'M' : 'L'}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
      parts.push(`<path d="${raw}" fill="none" stroke="${color}" stroke-opacity="0.22" stroke-width="0.8"/>`);
    }
  }
  for (const [runs, color] of [[plain, COLORS.plain], [se, COLORS.se]] as const) {
    const d = smoothedLoss(runs).map((v, i) => `${i === 0 ? 'M' : 'L'}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
  }
  const seeds = plain.length;
  parts.push(
    text(
      x + w / 2,
      y - 16,
      `Training loss per batch (thin: each batch; thick: mean of the last ${LOSS_WINDOW}${seeds > 1 ? `, averaged over ${seeds} seeds` : ''})`,
      'text-anchor="middle" font-size="13"',
    ),
  );
  return parts.join('\n');
}

/** One block's two heatmaps at (x0, y0): mean excitation per class and channel, and deviation from the channel mean. */
function blockMaps(b: BlockExcitation, index: number, x0: number, y0: number, colWidth: number, devScale: number): { svg: string; height: number } {
  const cell = Math.max(3, Math.min(16, Math.floor((colWidth - 30) / b.channels)));
  const rowH = 12;
  const parts: string[] = [];
  parts.push(text(x0, y0, `SE block ${index + 1}: ${b.channels} channels`, 'font-size="12" font-weight="bold"'));
  parts.push(text(x0, y0 + 15, `spread: across classes ${b.betweenClassStd.toFixed(3)}, within ${b.withinClassStd.toFixed(3)}`, 'font-size="11"'));
  const drawGrid = (top: number, color: (k: number, c: number) => string, label: string) => {
    parts.push(text(x0, top - 4, label, 'font-size="11" fill="#444"'));
    for (let k = 0; k < 10; k++) {
      parts.push(text(x0 + 10, top + k * rowH + 10, String(k), 'text-anchor="end" font-size="9"'));
      for (let c = 0; c < b.channels; c++) {
        parts.push(`<rect x="${x0 + 14 + c * cell}" y="${top + k * rowH}" width="${cell}" height="${rowH}" fill="${color(k, c)}"/>`);
      }
    }
    parts.push(text(x0 + 14 + (b.channels * cell) / 2, top + 10 * rowH + 12, 'channel', 'text-anchor="middle" font-size="10" fill="#444"'));
  };
  const top1 = y0 + 38;
  drawGrid(top1, (k, c) => sequential(b.classMeans[k][c]), 'mean excitation per digit class (rows)');
  const top2 = top1 + 10 * rowH + 36;
  drawGrid(top2, (k, c) => diverging((b.classMeans[k][c] - b.mean[c]) / devScale), 'minus the channel mean over all classes');
  return { svg: parts.join('\n'), height: top2 + 10 * rowH + 16 - y0 };
}

/** Bars: each SE block's class specificity, the spread of its class means over the spread within a class. */
function specificityPanel(blocks: BlockExcitation[]): string {
  const x = CURVE.x + CURVE.w + 24;
  const y = CURVE.y + 140;
  const w = WIDTH - x - 30;
  const ratios = blocks.map((b) => b.betweenClassStd / Math.max(b.withinClassStd, 1e-9));
  const top = Math.max(1, ...ratios);
  const barH = 14;
  const parts = [text(x, y, 'class specificity of each SE block', 'font-size="12" font-weight="bold"')];
  parts.push(text(x, y + 14, '(spread across classes / within a class)', 'font-size="11" fill="#444"'));
  ratios.forEach((r, i) => {
    const by = y + 26 + i * (barH + 6);
    const bw = ((w - 70) * r) / top;
    parts.push(text(x, by + barH - 3, `block ${i + 1}`, 'font-size="11"'));
    parts.push(`<rect x="${x + 48}" y="${by}" width="${Math.max(1, bw).toFixed(1)}" height="${barH}" fill="${COLORS.se}" fill-opacity="0.75"/>`);
    parts.push(text(x + 52 + bw, by + barH - 3, r.toFixed(2), 'font-size="11"'));
  });
  return parts.join('\n');
}

/** Colour bars for both scales. */
function colorBars(x: number, y: number, devScale: number): string {
  const parts: string[] = [];
  const n = 40;
  const w = 120;
  for (let i = 0; i < n; i++) parts.push(`<rect x="${(x + (i * w) / n).toFixed(1)}" y="${y}" width="${(w / n + 0.5).toFixed(1)}" height="10" fill="${sequential(i / (n - 1))}"/>`);
  parts.push(text(x, y + 22, '0', 'font-size="10"'));
  parts.push(text(x + w, y + 22, '1', 'text-anchor="end" font-size="10"'));
  parts.push(text(x + w + 8, y + 9, 'excitation', 'font-size="10"'));
  const x2 = x + w + 90;
  for (let i = 0; i < n; i++) parts.push(`<rect x="${(x2 + (i * w) / n).toFixed(1)}" y="${y}" width="${(w / n + 0.5).toFixed(1)}" height="10" fill="${diverging((2 * i) / (n - 1) - 1)}"/>`);
  parts.push(text(x2, y + 22, `-${devScale.toFixed(2)}`, 'font-size="10"'));
  parts.push(text(x2 + w, y + 22, `+${devScale.toFixed(2)}`, 'text-anchor="end" font-size="10"'));
  parts.push(text(x2 + w + 8, y + 9, 'deviation from the channel mean (beyond the ends: saturated)', 'font-size="10"'));
  return parts.join('\n');
}

/**
 * The whole picture.
 * @param plain the plain network's runs (one per seed)
 * @param se the SE network's runs (one per seed); the excitation maps are the first seed's
 */
export function mnistSvg(plain: RunResult[], se: RunResult[]): string {
  const blocks = se[0].excitation;
  // One deviation scale for every block: the 95th percentile of |deviation| (larger ones saturate),
  // so a few extreme channels do not wash out the rest.
  const deviations: number[] = [];
  for (const b of blocks) for (let k = 0; k < 10; k++) for (let c = 0; c < b.channels; c++) deviations.push(Math.abs(b.classMeans[k][c] - b.mean[c]));
  deviations.sort((a, b) => a - b);
  const devScale = Math.max(0.01, deviations[Math.floor(0.95 * (deviations.length - 1))] ?? 0);
  const colWidth = (WIDTH - 40) / Math.max(1, blocks.length);
  const maps = blocks.map((b, i) => blockMaps(b, i, 20 + i * colWidth, MAP_TOP, colWidth, devScale));
  const height = MAP_TOP + Math.max(0, ...maps.map((m) => m.height)) + 50;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    plain[0].epochs.length > 1 ? errorPanel(plain, se) : lossPanel(plain, se),
    legend(plain, se),
    specificityPanel(blocks),
    text(
      20,
      MAP_TOP - 34,
      `What the SE blocks do (seed ${se[0].config.net.seed}, after training): the gate of each channel, averaged over the test digits of each class`,
      'font-size="13"',
    ),
    ...maps.map((m) => m.svg),
    colorBars(20, height - 36, devScale),
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}
