/// <reference lib="dom" />
/**
 * Draws the stage-timing waterfall (`waterfallLayout`) into an inline `<svg>`: a label column,
 * one bar per row on a shared time axis, the duration after each bar, and grid lines with tick
 * labels at the bottom. Expert bars show their wait for the first token in a lighter shade.
 * Plain SVG elements built with `svg()`: no chart library, no markup strings.
 */
import type { PipelineMetrics } from '../../../browser';
import { svg } from './dom';
import { waterfallLayout, type WaterfallBar } from './waterfall-layout';

const WIDTH = 760;
const LABEL = 130;
const RIGHT = 70;
const ROW = 20;
const AXIS = 22;
const PLOT = WIDTH - LABEL - RIGHT;

const formatMs = (ms: number): string => `${Math.round(ms)} ms`;

const barRow = (bar: WaterfallBar, y: number, x: (t: number) => number): SVGGElement => {
  const row = svg('g', { class: `wf-row wf-${bar.kind}`, 'data-label': bar.label });
  const tip = bar.kind === 'expert'
    ? `${bar.label}: ${formatMs(bar.ms)}, first token ${bar.ttft == null ? 'none' : formatMs(bar.ttft)}, ${bar.outcome ?? ''}`
    : `${bar.label}: ${formatMs(bar.ms)}`;
  row.append(svg('title', {}, tip));
  row.append(svg('text', { x: LABEL - 8, y: y + ROW * 0.68, 'text-anchor': 'end', class: 'wf-label' }, bar.kind === 'expert' ? `expert ${bar.label}` : bar.label));
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

/** Replaces the content of `target` with the waterfall of `metrics`. */
export const renderWaterfall = (target: SVGSVGElement, metrics: PipelineMetrics): void => {
  const layout = waterfallLayout(metrics);
  const height = layout.bars.length * ROW + AXIS + 4;
  const x = (t: number): number => LABEL + (t / layout.span) * PLOT;
  target.replaceChildren();
  target.setAttribute('viewBox', `0 0 ${WIDTH} ${height}`);
  target.setAttribute('role', 'img');
  target.setAttribute('aria-label', `Stage timings, ${formatMs(metrics.total)} in total`);
  const axisY = layout.bars.length * ROW + 2;
  for (const tick of layout.ticks) {
    target.append(svg('line', { x1: x(tick), x2: x(tick), y1: 0, y2: axisY, class: 'wf-grid' }));
    target.append(svg('text', { x: x(tick), y: axisY + 15, 'text-anchor': 'middle', class: 'wf-tick' }, formatMs(tick)));
  }
  target.append(svg('line', { x1: LABEL, x2: LABEL + PLOT, y1: axisY, y2: axisY, class: 'wf-axis' }));
  layout.bars.forEach((bar, i) => target.append(barRow(bar, i * ROW, x)));
};
