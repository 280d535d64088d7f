/**
 * What the CLI prints at the end: the final answer with how it was obtained, then the
 * stage-timing table from the `metrics` event. Pure functions returning lines.
 */
import type { CompleteEvent } from '../index';
import type { PipelineMetrics, Stage } from '../index';
import { stripControls, type Paint } from './ansi';

const STAGES: readonly Stage[] = ['validation', 'routing', 'cache', 'execution', 'fusion', 'outputGuard'];

/** Right or left alignment of a table column. */
export type Align = 'left' | 'right';

const ms = (value: number | null): string => (value === null ? '-' : String(Math.round(value)));

/**
 * Rows as aligned text columns, two spaces apart, trailing spaces trimmed. The first row is the
 * header (set in bold). Widths count code points.
 */
export const table = (rows: readonly (readonly string[])[], align: readonly Align[], paint: Paint): string[] => {
  const widths = align.map((_, column) => Math.max(...rows.map((row) => Array.from(row[column] ?? '').length)));
  return rows.map((row, index) => {
    const line = align
      .map((side, column) => {
        const cell = row[column] ?? '';
        const pad = ' '.repeat(widths[column] - Array.from(cell).length);
        return side === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
    return index === 0 ? paint.bold(line) : line;
  });
};

/**
 * The final answer: `Answer (from cache, 4 ms):` (or `degraded`, or just the time), then the
 * text, control characters removed.
 */
export const renderAnswer = (event: CompleteEvent, elapsedMs: number, paint: Paint): string[] => {
  const notes = [
    ...(event.fromCache ? ['from cache'] : []),
    ...(event.degraded ? ['degraded'] : []),
    `${Math.round(elapsedMs)} ms`,
  ];
  return [paint.bold(`Answer (${notes.join(', ')}):`), ...stripControls(event.text).split('\n')];
};

/**
 * The timing table: one row per stage that ran (in pipeline order), `total` and `ttft`; one
 * row per expert (ttft, ms, tokens, attempts, outcome); then the bottlenecks line.
 */
export const renderSummary = (metrics: PipelineMetrics, paint: Paint): string[] => {
  const stageRows = STAGES.filter((stage) => metrics.stages[stage] !== undefined)
    .map((stage) => [stage, ms(metrics.stages[stage] ?? null)]);
  const stages = table(
    [['Stage', 'ms'], ...stageRows, ['total', ms(metrics.total)], ['ttft', ms(metrics.ttft)]],
    ['left', 'right'],
    paint,
  );
  const ids = Object.keys(metrics.experts);
  const experts = ids.length === 0
    ? [paint.dim(metrics.cacheHit ? 'Experts: none ran (cache hit)' : 'Experts: none ran')]
    : table(
      [
        ['Expert', 'ttft', 'ms', 'tokens', 'attempts', 'outcome'],
        ...ids.map((id) => {
          const expert = metrics.experts[id];
          return [id, ms(expert.ttft), ms(expert.ms), String(expert.tokens), String(expert.attempts), expert.outcome];
        }),
      ],
      ['left', 'right', 'right', 'right', 'right', 'left'],
      paint,
    );
  const bottlenecks = metrics.bottlenecks.length === 0 ? 'none' : metrics.bottlenecks.join(', ');
  return [...stages, '', ...experts, '', `${paint.bold('Bottlenecks:')} ${bottlenecks}`];
};
