/**
 * The fused answer as text parts (`text-start`, `text-delta`..., `text-end`), streamed live where
 * the pipeline streams it and never contradicted:
 *
 * - `fusion` and `cache` tokens are deltas of the open text part, as they come: a generating
 *   fusion (sections, aggregator) streams live, a cache hit is one delta.
 * - A selecting fusion (best, first) streams no `fusion` tokens: its answer is one expert's
 *   text, which already streamed live as that expert's `data-expert` parts. The text part is
 *   sent at `complete`: `complete.text` as one delta. Nothing is replayed token by token.
 * - At `complete`, when the streamed text is a prefix of `complete.text`, the rest follows as a
 *   delta. When it is not (a fusion that failed mid-stream and fell back to an expert's answer,
 *   `degraded`), the streamed part ends marked superseded (`providerMetadata: {
 *   dialoguePipeline: { superseded: true } }`) and `complete.text` follows in a new text part.
 *   A `retry` that discards the answer's text (a single-flight takeover) supersedes it the same
 *   way. So the text parts not marked superseded always join to `complete.text`.
 */
import type { UIMessageChunk } from './ui-message-chunks';
import { SUPERSEDED_METADATA_KEY } from './ui-message-chunks';

const SUPERSEDED = { [SUPERSEDED_METADATA_KEY]: { superseded: true } };

/** The answer's text parts of one request, and the chunks each event makes. */
export interface AnswerParts {
  /** A `fusion` or `cache` token. */
  token(text: string): UIMessageChunk[];
  /** A `retry` of the answer's source with `discard`. */
  discard(): UIMessageChunk[];
  /** `complete`: the final text. */
  complete(text: string): UIMessageChunk[];
  /** `error` or `cancelled`: ends the open part as it is. */
  close(): UIMessageChunk[];
}

/** Creates the state for one request; text part ids are `<prefix>-1`, `<prefix>-2`, ... */
export const createAnswerParts = (prefix: string): AnswerParts => {
  let count = 0;
  let open: string | undefined;
  let streamed = '';
  const start = (): UIMessageChunk[] => {
    open = `${prefix}-${++count}`;
    streamed = '';
    return [{ type: 'text-start', id: open }];
  };
  const delta = (id: string, text: string): UIMessageChunk[] => {
    streamed += text;
    return text === '' ? [] : [{ type: 'text-delta', id, delta: text }];
  };
  const end = (superseded: boolean): UIMessageChunk[] => {
    if (open === undefined) return [];
    const id = open;
    open = undefined;
    return [superseded ? { type: 'text-end', id, providerMetadata: SUPERSEDED } : { type: 'text-end', id }];
  };
  const whole = (text: string): UIMessageChunk[] => {
    const opening = start();
    return [...opening, ...delta(open as string, text), ...end(false)];
  };
  return {
    token: (text) => {
      const opening = open === undefined ? start() : [];
      return [...opening, ...delta(open as string, text)];
    },
    discard: () => end(true),
    complete: (text) => {
      if (open === undefined) return whole(text);
      if (text.startsWith(streamed)) return [...delta(open, text.slice(streamed.length)), ...end(false)];
      return [...end(true), ...whole(text)];
    },
    close: () => end(false),
  };
};
