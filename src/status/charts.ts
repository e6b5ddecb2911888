/**
 * Charts drawn on the server as inline SVG: stacked bars for counts, lines
 * for percentiles and gauges. No script, no inline style (the CSP allows
 * neither): colours come from classes in /static/status.css, and each bar
 * or point carries a <title>, which browsers show on hover.
 */
import type { Window } from './series';

export type ChartUnit = 'count' | 'seconds' | 'per_minute';

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly kind: 'bars' | 'lines';
  readonly unit: ChartUnit;
  readonly series: readonly ChartSeries[];
  readonly window: Window;
}

const WIDTH = 600;
const HEIGHT = 180;
const LEFT = 52;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 22;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** 1, 2 or 5 × a power of ten, at least `max` (1 for an empty chart). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function formatValue(value: number, unit: ChartUnit): string {
  if (unit === 'seconds') {
    if (value === 0) return '0';
    return value < 1 ? `${Math.round(value * 1000)} ms` : `${round(value, 2)} s`;
  }
  if (unit === 'per_minute') return `${round(value, 1)}/min`;
  if (value >= 10_000) return `${round(value / 1000, 1)}k`;
  return String(round(value, value < 10 ? 2 : 0));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatBin(start: Date, window: Window): string {
  const iso = start.toISOString();
  return window.range.name === '24h'
    ? `${iso.slice(11, 16)}`
    : `${MONTHS[start.getUTCMonth()]} ${start.getUTCDate()}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function highest(spec: ChartSpec): number {
  if (spec.kind === 'lines') {
    return Math.max(0, ...spec.series.flatMap((s) => s.values.map((v) => v ?? 0)));
  }
  return Math.max(
    0,
    ...spec.window.starts.map((_, i) =>
      spec.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0),
    ),
  );
}

function axes(spec: ChartSpec, top: number): string {
  const parts: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const y = TOP + PLOT_H - fraction * PLOT_H;
    parts.push(
      `<line class="grid" x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${y}" y2="${y}"/>`,
      `<text class="axis" x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${escapeXml(formatValue(top * fraction, spec.unit))}</text>`,
    );
  }
  const bins = spec.window.starts.length;
  const every = Math.max(1, Math.round(bins / 6));
  for (let i = 0; i < bins; i += every) {
    const x = LEFT + (i * PLOT_W) / bins;
    parts.push(
      `<text class="axis" x="${x}" y="${HEIGHT - 6}">${escapeXml(formatBin(spec.window.starts[i]!, spec.window))}</text>`,
    );
  }
  return parts.join('');
}

function bars(spec: ChartSpec, top: number): string {
  const bins = spec.window.starts.length;
  const width = PLOT_W / bins;
  const parts: string[] = [];
  for (let i = 0; i < bins; i++) {
    let stacked = 0;
    const when = formatBin(spec.window.starts[i]!, spec.window);
    spec.series.forEach((series, k) => {
      const value = series.values[i] ?? 0;
      if (value <= 0) return;
      const height = (value / top) * PLOT_H;
      const y = TOP + PLOT_H - ((stacked + value) / top) * PLOT_H;
      stacked += value;
      parts.push(
        `<rect class="series-${k % 6}" x="${round(LEFT + i * width + 0.5, 2)}" y="${round(y, 2)}" width="${round(Math.max(1, width - 1), 2)}" height="${round(height, 2)}" data-value="${value}"><title>${escapeXml(`${series.label}: ${formatValue(value, spec.unit)} (${when})`)}</title></rect>`,
      );
    });
  }
  return parts.join('');
}

function lines(spec: ChartSpec, top: number): string {
  const bins = spec.window.starts.length;
  const width = PLOT_W / bins;
  const parts: string[] = [];
  spec.series.forEach((series, k) => {
    let segment: string[] = [];
    const flush = () => {
      if (segment.length > 1) {
        parts.push(`<polyline class="line series-${k % 6}" points="${segment.join(' ')}"/>`);
      }
      segment = [];
    };
    series.values.forEach((value, i) => {
      if (value === null) {
        flush();
        return;
      }
      const x = round(LEFT + (i + 0.5) * width, 2);
      const y = round(TOP + PLOT_H - (value / top) * PLOT_H, 2);
      segment.push(`${x},${y}`);
      const when = formatBin(spec.window.starts[i]!, spec.window);
      parts.push(
        `<circle class="point series-${k % 6}" cx="${x}" cy="${y}" r="1.6" data-value="${value}"><title>${escapeXml(`${series.label}: ${formatValue(value, spec.unit)} (${when})`)}</title></circle>`,
      );
    });
    flush();
  });
  return parts.join('');
}

export function renderChart(spec: ChartSpec): string {
  // Counts come in whole numbers: no "0.5 polls" half-way up the axis.
  const top = Math.max(spec.unit === 'count' ? 2 : 0, niceMax(highest(spec)));
  const empty = spec.series.every((s) => s.values.every((v) => !v));
  const body = empty
    ? `<text class="empty" x="${LEFT + PLOT_W / 2}" y="${TOP + PLOT_H / 2}" text-anchor="middle">Nothing in this period</text>`
    : spec.kind === 'bars'
      ? bars(spec, top)
      : lines(spec, top);
  return (
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${spec.id}-title" data-chart="${spec.id}">` +
    `<title id="${spec.id}-title">${escapeXml(spec.title)}</title>${axes(spec, top)}${body}</svg>`
  );
}
