/**
 * The experts' side of a UI message stream: one `data-expert` part per expert (id = expert id,
 * so each new snapshot replaces the last in the client's message), sent when its status changes,
 * and transient `data-expert-delta` parts for the tokens in between.
 *
 * | event | chunks |
 * | --- | --- |
 * | `plan` | a `waiting` snapshot per task |
 * | cache hit | a `skipped` snapshot per expert |
 * | first token of an attempt | a `streaming` snapshot holding that token |
 * | later tokens | `data-expert-delta` |
 * | `retry` | a `retrying` snapshot (its text emptied when `discard`) |
 * | `expert` | the outcome with `ms`, `tokens` (and `error`) |
 * | `metrics` | experts still open get their outcome from `metrics.experts` |
 *
 * So a client that sets an expert's text from each snapshot and appends each delta shows what
 * the expert really said, retries included; one that reads only the message sees each expert's
 * whole text once it ended.
 */
import type { ExpertEvent, PipelineMetrics, PlanTask, RetryEvent } from '../../index';
import type { ExpertData, UIMessageChunk } from './ui-message-chunks';

const OPEN: ReadonlySet<ExpertData['status']> = new Set(['waiting', 'streaming', 'retrying']);

/** The experts' snapshots of one request, and the chunks each event makes. */
export interface ExpertParts {
  plan(tasks: readonly PlanTask[]): UIMessageChunk[];
  skipped(): UIMessageChunk[];
  token(expertId: string, text: string): UIMessageChunk[];
  retry(event: RetryEvent): UIMessageChunk[];
  ended(event: ExpertEvent): UIMessageChunk[];
  settle(metrics: PipelineMetrics): UIMessageChunk[];
}

/** Creates the state for one request. */
export const createExpertParts = (): ExpertParts => {
  const experts = new Map<string, ExpertData>();
  const snapshot = (data: ExpertData): UIMessageChunk => {
    experts.set(data.expertId, data);
    return { type: 'data-expert', id: data.expertId, data };
  };
  const get = (expertId: string): ExpertData => experts.get(expertId) ?? { expertId, model: '', version: '', status: 'waiting', text: '' };
  return {
    plan: (tasks) => tasks.map((task) => snapshot({ expertId: task.expertId, model: task.model, version: task.version, status: 'waiting', text: '' })),
    skipped: () => [...experts.values()].map(({ expertId, model, version }) => snapshot({ expertId, model, version, status: 'skipped', text: '' })),
    token: (expertId, text) => {
      const expert = get(expertId);
      if (expert.status === 'streaming') {
        experts.set(expertId, { ...expert, text: expert.text + text });
        return [{ type: 'data-expert-delta', data: { expertId, delta: text }, transient: true }];
      }
      const { model, version } = expert;
      return [snapshot({ expertId, model, version, status: 'streaming', text: expert.text + text })];
    },
    retry: ({ source, attempt, maxRetries, delayMs, reason, discard }) => {
      const { expertId, model, version, text } = get(source);
      return [snapshot({ expertId, model, version, status: 'retrying', text: discard ? '' : text, retry: { attempt, maxRetries, delayMs, reason } })];
    },
    ended: ({ expertId, outcome, ms, tokens, error }) => {
      const { model, version, text } = get(expertId);
      return [snapshot({ expertId, model, version, status: outcome, text, ms, tokens, ...(error === undefined ? {} : { error }) })];
    },
    settle: (metrics) => [...experts.values()].flatMap((expert) => {
      const figures = metrics.experts[expert.expertId];
      if (!OPEN.has(expert.status) || figures === undefined) return [];
      const { expertId, model, version, text } = expert;
      return [snapshot({ expertId, model, version, status: figures.outcome, text, ms: figures.ms, tokens: figures.tokens })];
    }),
  };
};
