/** A small hand-written SVG of a training run: the loss curve and learned vs teacher excitations. */
import type { TrainResult } from './train.js';

const W = 920;
const H = 360;
const PAD = { left: 64, right: 24, top: 44, bottom: 48 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

/** A panel's y-axis title, written upwards left of its tick labels. */
function yLabel(x0: number, label: string): string {
  const cx = x0 - 46;
  const cy = PAD.top + (H - PAD.top - PAD.bottom) / 2;
  return text(cx, cy, label, `text-anchor="middle" font-size="12" transform="rotate(-90 ${cx} ${cy})"`);
}

/** Loss (log scale) against step, in the box [x0, x0 + w] x [PAD.top, H - PAD.bottom]. */
function lossPanel(r: TrainResult, x0: number, w: number): string {
  const h = H - PAD.top - PAD.bottom;
  const steps = r.config.steps;
  const logs = r.history.map(([, l]) => Math.log10(l));
  const lo = Math.floor(Math.min(...logs));
  const hi = Math.ceil(Math.max(...logs));
  const px = (step: number) => x0 + (step / steps) * w;
  const py = (l: number) => PAD.top + ((hi - Math.log10(l)) / (hi - lo)) * h;
  const parts: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const y = PAD.top + ((hi - e) / (hi - lo)) * h;
    parts.push(`<line x1="${x0}" y1="${y}" x2="${x0 + w}" y2="${y}" stroke="#ddd"/>`);
    parts.push(text(x0 - 8, y + 4, `1e${e}`, 'text-anchor="end" font-size="11"'));
  }
  for (let k = 0; k <= 4; k++) {
    const step = Math.round((k / 4) * steps);
    parts.push(text(px(step), H - PAD.bottom + 16, String(step), 'text-anchor="middle" font-size="11"'));
  }
  const d = r.history.map(([s, l], i) => `${i === 0 ? 'M' : 'L'}${px(s).toFixed(1)},${py(l).toFixed(1)}`).join(' ');
  parts.push(`<path d="${d}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  for (const [s, l] of r.history) parts.push(`<circle cx="${px(s).toFixed(1)}" cy="${py(l).toFixed(1)}" r="2.5" fill="#1f77b4"/>`);
  parts.push(`<rect x="${x0}" y="${PAD.top}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  parts.push(text(x0 + w / 2, PAD.top - 12, `MSE loss (student vs teacher), ${(r.firstLoss / r.lastLoss).toFixed(0)}x lower`, 'text-anchor="middle" font-size="13"'));
  parts.push(text(x0 + w / 2, H - 10, 'SGD step', 'text-anchor="middle" font-size="12"'));
  parts.push(yLabel(x0, 'MSE loss (log scale)'));
  return parts.join('\n');
}

/** Mean excitation per channel: teacher and student bars side by side. */
function excitationPanel(r: TrainResult, x0: number, w: number): string {
  const h = H - PAD.top - PAD.bottom;
  const C = r.teacherExcitation.length;
  const band = w / C;
  const bar = band * 0.38;
  const py = (v: number) => PAD.top + (1 - v) * h;
  const parts: string[] = [];
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x0}" y1="${py(v)}" x2="${x0 + w}" y2="${py(v)}" stroke="#ddd"/>`);
    parts.push(text(x0 - 8, py(v) + 4, v.toFixed(2), 'text-anchor="end" font-size="11"'));
  }
  for (let c = 0; c < C; c++) {
    const t = r.teacherExcitation[c];
    const s = r.studentExcitation[c];
    const bx = x0 + c * band + band * 0.1;
    parts.push(`<rect x="${bx.toFixed(1)}" y="${py(t).toFixed(1)}" width="${bar.toFixed(1)}" height="${(t * h).toFixed(1)}" fill="#ff7f0e"/>`);
    parts.push(`<rect x="${(bx + bar).toFixed(1)}" y="${py(s).toFixed(1)}" width="${bar.toFixed(1)}" height="${(s * h).toFixed(1)}" fill="#2ca02c"/>`);
    parts.push(text(x0 + (c + 0.5) * band, H - PAD.bottom + 16, String(c), 'text-anchor="middle" font-size="10"'));
  }
  parts.push(`<rect x="${x0}" y="${PAD.top}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  parts.push(text(x0 + w / 2, PAD.top - 12, 'mean excitation per channel on a probe batch', 'text-anchor="middle" font-size="13"'));
  parts.push(`<rect x="${x0 + 8}" y="${PAD.top + 8}" width="10" height="10" fill="#ff7f0e"/>` + text(x0 + 22, PAD.top + 17, 'teacher', 'font-size="11"'));
  parts.push(`<rect x="${x0 + 78}" y="${PAD.top + 8}" width="10" height="10" fill="#2ca02c"/>` + text(x0 + 92, PAD.top + 17, 'learned (student)', 'font-size="11"'));
  parts.push(text(x0 + w / 2, H - 10, 'channel', 'text-anchor="middle" font-size="12"'));
  parts.push(yLabel(x0, 'excitation (gate value)'));
  return parts.join('\n');
}

/** The whole picture as an SVG document. */
export function trainingSvg(r: TrainResult): string {
  const half = (W - PAD.left - PAD.right - 70) / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    lossPanel(r, PAD.left, half),
    excitationPanel(r, PAD.left + half + 70, half),
    '</svg>',
    '',
  ].join('\n');
}
