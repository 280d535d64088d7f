/// <reference lib="dom" />
/**
 * Applies one request's events to the page, event kind by event kind:
 *
 * | event | on the page |
 * | --- | --- |
 * | `start` | status "running" |
 * | `plan` | the plan panel; one lane per task |
 * | `cache` | the cache badge (hit / miss); on a hit the lanes say "not asked" |
 * | `token` | appended to its lane; `fusion` and `cache` tokens to the fused answer (headings as headings) |
 * | `retry` | the lane's retry notice; `discard` empties the lane (or the answer, for `fusion`) |
 * | `expert` | the lane's outcome and figures |
 * | `status` | the note line |
 * | `metrics` | the waterfall (drawn again when its width changes); lanes still open get their outcome |
 * | `complete` | the answer becomes `text` (marked degraded when so); badge "cache hit" when `fromCache` |
 * | `error`, `cancelled` | the status line says so ("cancelled", or "cancelled (plugin closed)": the reason once) |
 */
import type { PipelineEvent } from '../../../browser';
import type { PipelineMetrics } from '../../../browser';
import { SSEResponseError } from '../../../browser';
import { createAnswerView } from './answer-view';
import { show } from './dom';
import { createLanesView } from './lanes';
import type { PageElements } from './page-elements';
import { renderPlan } from './plan-view';
import { renderWaterfall } from './waterfall';

/** The page's reaction to the life of one request at a time. */
export interface DialogueView {
  /** A new request `requestId` starts: everything from the last one is cleared. */
  begin(requestId: string): void;
  apply(event: PipelineEvent): void;
  /** The request could not be read (HTTP error, network): says so. */
  fail(error: unknown): void;
  /** The Stop button was pressed. */
  stopping(): void;
  /** The request's stream ended (whatever the reason). */
  end(): void;
}

const failureText = (error: unknown): string => {
  if (SSEResponseError.isInstance(error)) {
    return error.status === 401 ? 'HTTP 401: this server needs an API key (fill in the API key field)' : `HTTP ${error.status}`;
  }
  return `connection failed (${error instanceof Error ? error.message : String(error)})`;
};

/** "cancelled", "cancelled (all)", "cancelled (plugin closed)": the reason is not repeated when it says "cancelled" itself. */
const cancelledText = (reason: string): string => (reason.startsWith('cancelled') ? reason : `cancelled (${reason})`);

const timingSummary = (metrics: PipelineMetrics | undefined): string =>
  metrics === undefined ? '' : ` in ${Math.round(metrics.total)} ms${metrics.ttft === null ? '' : `, first token after ${Math.round(metrics.ttft)} ms`}`;

/** Creates the view over the page's elements. */
export const createDialogueView = (page: PageElements): DialogueView => {
  const lanes = createLanesView(page.lanes);
  const answer = createAnswerView(page.answer);
  let metrics: PipelineMetrics | undefined;
  let ended = true;
  let drawnWidth = 0;
  const waterfallWidth = (): number => Math.round(page.waterfall.getBoundingClientRect().width);
  const drawWaterfall = (figures: PipelineMetrics): void => {
    drawnWidth = waterfallWidth();
    renderWaterfall(page.waterfall, figures, drawnWidth);
  };
  new ResizeObserver(() => {
    if (metrics !== undefined && waterfallWidth() !== drawnWidth) drawWaterfall(metrics);
  }).observe(page.waterfall);

  const status = (state: string, text: string): void => {
    page.status.textContent = text;
    page.status.dataset.state = state;
  };
  const badge = (hit: boolean): void => {
    page.cacheBadge.textContent = hit ? 'cache hit' : 'cache miss';
    page.cacheBadge.dataset.hit = String(hit);
    show(page.cacheBadge, true);
  };

  const apply = (event: PipelineEvent): void => {
    switch (event.type) {
      case 'start': return status('running', `running ${event.requestId}`);
      case 'plan':
        renderPlan(page.plan, event.plan);
        return lanes.reset(event.plan.tasks);
      case 'cache':
        badge(event.hit);
        if (event.hit) lanes.skipped('not asked: cache hit');
        return;
      case 'token':
        if (event.source === 'fusion' || event.source === 'cache') answer.append(event.text);
        else lanes.append(event.source, event.text);
        return;
      case 'retry':
        if ((event.source === 'fusion' || event.source === 'cache') && event.discard) answer.set('', false);
        return lanes.retry(event);
      case 'expert': return lanes.ended(event);
      case 'status':
        page.note.textContent = event.message;
        return;
      case 'metrics':
        metrics = event.metrics;
        drawWaterfall(event.metrics);
        return lanes.settle(event.metrics.experts);
      case 'complete':
        answer.set(event.text, true);
        show(page.degradedBadge, event.degraded);
        page.answer.dataset.final = 'true';
        if (event.fromCache) badge(true);
        return status('complete', `complete${event.fromCache ? ' (from the cache)' : ''}${event.degraded ? ', degraded' : ''}${timingSummary(metrics)}`);
      case 'error': {
        const issues = event.error.issues === undefined ? '' : `: ${event.error.issues.join('; ')}`;
        return status('error', `error (${event.error.kind}): ${event.error.message}${event.error.user ? issues : ''}`);
      }
      case 'cancelled': return status('cancelled', `${cancelledText(event.reason)}${timingSummary(metrics)}`);
    }
  };

  return {
    begin: (requestId) => {
      ended = false;
      metrics = undefined;
      answer.set('', false);
      delete page.answer.dataset.final;
      page.note.textContent = '';
      page.waterfall.replaceChildren();
      renderPlan(page.plan, undefined);
      lanes.reset([]);
      show(page.cacheBadge, false);
      show(page.degradedBadge, false);
      status('connecting', `connecting ${requestId}`);
      page.stop.disabled = false;
    },
    apply,
    fail: (error) => status('error', failureText(error)),
    stopping: () => {
      if (!ended) status('stopping', 'stopping...');
    },
    end: () => {
      ended = true;
      page.stop.disabled = true;
    },
  };
};
