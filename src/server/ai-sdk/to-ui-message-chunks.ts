/**
 * `toUIMessageChunks({ requestId })`: a request's events as AI SDK UI message stream chunks
 * (see `ui-message-chunks.ts` for the parts, `answer-parts.ts` for how the answer's text streams
 * without contradicting itself, `expert-parts.ts` for the experts'). Ends after the chunks of the
 * terminal event:
 *
 * | event | chunks |
 * | --- | --- |
 * | `start` | `start` (messageId = requestId, metadata `{ requestId }`) |
 * | `plan` | `data-plan`, a `data-expert` per task |
 * | `cache` hit | `skipped` experts |
 * | `token` | expert: `data-expert` / `data-expert-delta`; `fusion`, `cache`: text |
 * | `retry` | expert: `data-expert` (`retrying`); `fusion`, `cache` with `discard`: the text part superseded |
 * | `expert` | `data-expert` with the outcome |
 * | `status` | `data-status` (transient) |
 * | `metrics` | open experts settled |
 * | `complete` | the answer's text, `finish` (`stop`, metadata: fromCache, degraded, totalMs, ttftMs, usage when the event has it) |
 * | `error` | `error` (the server's message for the kind, as `/v1/chat/completions` words it; never the cause), `finish` (`error`) |
 * | `cancelled` | `abort` with the reason |
 *
 * The source erroring or completing without a terminal event ends with a generic `error`.
 *
 *     events  s-p-t-t-e-...-m-c|
 *     chunks  s-(pE)-E-D-E-...-(T t T F)|     E = data-expert, D = delta, T = text-start/end, F = finish
 */
import { catchError, concat, defer, from, mergeMap, takeWhile, type OperatorFunction } from 'rxjs';
import { isTerminal, type CompleteEvent, type PipelineEvent, type PipelineMetrics } from '../../index';
import { chatFailure } from '../openai/chat-errors';
import { createAnswerParts } from './answer-parts';
import { createExpertParts } from './expert-parts';
import type { DialogueMessageMetadata, UIMessageChunk, UsageData } from './ui-message-chunks';

/** The `errorText` when the request broke without saying why. */
export const GENERIC_ERROR_TEXT = 'The request failed';

const isAnswerSource = (source: string): boolean => source === 'fusion' || source === 'cache';

/** The event's `usage` when it carries one (DESIGN section 10 adds it to `complete`). */
const usageOf = (event: CompleteEvent): UsageData | undefined => {
  const usage = (event as { readonly usage?: Partial<UsageData> }).usage;
  return typeof usage?.inputTokens === 'number' && typeof usage.outputTokens === 'number'
    ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, estimated: usage.estimated === true }
    : undefined;
};

const timings = (metrics: PipelineMetrics | undefined): Omit<DialogueMessageMetadata, 'requestId'> =>
  (metrics === undefined ? {} : { totalMs: metrics.total, ttftMs: metrics.ttft });

/** Maps one request's events to the chunks of its UI message stream. */
export const toUIMessageChunks = ({ requestId }: { readonly requestId: string }): OperatorFunction<PipelineEvent, UIMessageChunk> =>
  (events$) => defer(() => {
    const experts = createExpertParts();
    const answer = createAnswerParts('answer');
    let metrics: PipelineMetrics | undefined;
    let ended = false;
    const chunksOf = (event: PipelineEvent): UIMessageChunk[] => {
      switch (event.type) {
        case 'start': return [{ type: 'start', messageId: requestId, messageMetadata: { requestId } }];
        case 'plan': {
          const { intent, tasks, fusion } = event.plan;
          const plan: UIMessageChunk = { type: 'data-plan', id: 'plan', data: { intent, experts: tasks.map(({ expertId, model, version }) => ({ expertId, model, version })), fusion } };
          return [plan, ...experts.plan(tasks)];
        }
        case 'cache': return event.hit ? experts.skipped() : [];
        case 'token': return isAnswerSource(event.source) ? answer.token(event.text) : experts.token(event.source, event.text);
        case 'retry':
          if (!isAnswerSource(event.source)) return experts.retry(event);
          return event.discard ? answer.discard() : [];
        case 'expert': return experts.ended(event);
        case 'status': return [{ type: 'data-status', data: { message: event.message }, transient: true }];
        case 'metrics':
          metrics = event.metrics;
          return experts.settle(event.metrics);
        case 'complete': {
          ended = true;
          const usage = usageOf(event);
          const metadata = { fromCache: event.fromCache, degraded: event.degraded, ...timings(metrics), ...(usage === undefined ? {} : { usage }) };
          return [...answer.complete(event.text), { type: 'finish', finishReason: 'stop', messageMetadata: metadata }];
        }
        case 'error':
          ended = true;
          return [...answer.close(), { type: 'error', errorText: chatFailure(event).message }, { type: 'finish', finishReason: 'error', messageMetadata: timings(metrics) }];
        case 'cancelled':
          ended = true;
          return [...answer.close(), { type: 'abort', reason: event.reason }];
      }
    };
    const broke = (): UIMessageChunk[] => {
      if (ended) return [];
      ended = true;
      return [...answer.close(), { type: 'error', errorText: GENERIC_ERROR_TEXT }];
    };
    return concat(
      events$.pipe(
        takeWhile((event) => !isTerminal(event), true),
        mergeMap(chunksOf),
        catchError(() => from(broke())),
      ),
      defer(() => from(broke())),
    );
  });
