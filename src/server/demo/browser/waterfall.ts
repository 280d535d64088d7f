/// <reference lib="dom" />
/**
 * Draws the stage-timing waterfall (`waterfallLayout`) into an inline `<svg>`: a label column,
 * one bar per row on a shared time axis, the duration after each bar, and grid lines with tick
 * labels at the bottom. Expert bars show their wait for the first token in a lighter shade.
 * Plain SVG elements built with `svg()`: no chart library, no markup strings.
 *
 * Drawn at the element's real width in CSS pixels (the viewBox is that wide), so the text keeps
 * its stylesheet size on a phone as on a desktop: the label and duration columns are as wide as
 * their longest text, the plot gets the rest, and the axis gets one tick per 64 px at most, so
 * neither labels nor ticks overlap. The view draws it again when the width changes.
 */
import type { PipelineMetrics } from '../../../browser';
import { svg } from './dom';
import { waterfallLayout, type WaterfallBar } from './waterfall-layout';

/** Width used when the element has none yet (hidden, not laid out). */
const DEFAULT_WIDTH = 760;
const ROW = 22;
const AXIS = 24;
const GAP = 8;
const MIN_PLOT = 60;
const TICK_SPACING = 64;
/** Estimated width of a character at the labels' 12 px, when the browser cannot measure. */
const CHAR_WIDTH = 7;

const formatMs = (ms: number): string => `${Math.round(ms)} ms`;

const labelOf = (bar: WaterfallBar): string => (bar.kind === 'expert' ? `expert ${bar.label}` : bar.label);

/** The widest of `texts` set in `className` inside `target`, in CSS pixels. */
const widest = (target: SVGSVGElement, texts: readonly string[], className: string): number => {
  const probe = svg('text', { x: 0, y: -100, class: className });
  target.append(probe);
  let max = 0;
  for (const text of texts) {
    probe.textContent = text;
    max = Math.max(max, probe.getComputedTextLength() || text.length * CHAR_WIDTH);
  }
  probe.remove();
  return Math.ceil(max);
};

const barRow = (bar: WaterfallBar, y: number, x: (t: number) => number, labelRight: number): SVGGElement => {
  const row = svg('g', { class: `wf-row wf-${bar.kind}`, 'data-label': bar.label });
  const tip = bar.kind === 'expert'
    ? `${bar.label}: ${formatMs(bar.ms)}, first token ${bar.ttft == null ? 'none' : formatMs(bar.ttft)}, ${bar.outcome ?? ''}`
    : `${bar.label}: ${formatMs(bar.ms)}`;
  row.append(svg('title', {}, tip));
  row.append(svg('text', { x: labelRight, y: y + ROW * 0.68, 'text-anchor': 'end', class: 'wf-label' }, labelOf(bar)));
  const width = Math.max(1, x(bar.start + bar.ms) - x(bar.start));
  const stageClass = bar.kind === 'stage' ? `wf-stage-${bar.label}` : `wf-expert-${bar.outcome ?? 'ok'}`;
  row.append(svg('rect', { x: x(bar.start), y: y + 3, width, height: ROW - 6, rx: 2, class: `wf-bar ${stageClass}` }));
  if (bar.kind === 'expert' && bar.ttft != null && bar.ttft > 0) {
    const wait = Math.min(width, Math.max(1, x(bar.start + bar.ttft) - x(bar.start)));
    row.append(svg('rect', { x: x(bar.start), y: y + 3, width: wait, height: ROW - 6, rx: 2, class: 'wf-wait' }));
  }
  row.append(svg('text', { x: x(bar.start) + width + 4, y: y + ROW * 0.68, class: 'wf-ms' }, formatMs(bar.ms)));
  return row;
};

/** Replaces the content of `target` with the waterfall of `metrics`, `width` CSS pixels wide (default: the element's own width). */
export const renderWaterfall = (target: SVGSVGElement, metrics: PipelineMetrics, width = target.getBoundingClientRect().width): void => {
  target.replaceChildren();
  const { bars, span } = waterfallLayout(metrics);
  const total = Math.round(width) > 0 ? Math.round(width) : DEFAULT_WIDTH;
  const labelColumn = widest(target, bars.map(labelOf), 'wf-label') + GAP;
  // Room after the plot for the durations, and for half of the last tick's label (centred on its tick).
  const msColumn = Math.max(widest(target, bars.map((bar) => formatMs(bar.ms)), 'wf-ms') + 6, widest(target, [formatMs(span)], 'wf-tick') / 2 + 2);
  const plot = Math.max(MIN_PLOT, total - labelColumn - msColumn);
  const layout = waterfallLayout(metrics, Math.max(1, Math.min(6, Math.floor(plot / TICK_SPACING))));
  const viewWidth = labelColumn + plot + msColumn;
  const height = layout.bars.length * ROW + AXIS + 4;
  const x = (t: number): number => labelColumn + (t / layout.span) * plot;
  target.setAttribute('viewBox', `0 0 ${viewWidth} ${height}`);
  target.setAttribute('role', 'img');
  target.setAttribute('aria-label', `Stage timings, ${formatMs(metrics.total)} in total`);
  const axisY = layout.bars.length * ROW + 2;
  for (const tick of layout.ticks) {
    target.append(svg('line', { x1: x(tick), x2: x(tick), y1: 0, y2: axisY, class: 'wf-grid' }));
    target.append(svg('text', { x: x(tick), y: axisY + 16, 'text-anchor': 'middle', class: 'wf-tick' }, formatMs(tick)));
  }
  target.append(svg('line', { x1: labelColumn, x2: labelColumn + plot, y1: axisY, y2: axisY, class: 'wf-axis' }));
  layout.bars.forEach((bar, i) => target.append(barRow(bar, i * ROW, x, labelColumn - GAP)));
};
