/**
 * Maps a request's events to the deltas of an OpenAI chat completion stream, live:
 *
 * - An expert's `token` (source = its id) -> `reasoning_content`, the experts' progress. Whenever
 *   the source changes, the text starts with a label `[<expertId>] ` (on a new line, after the
 *   first), so interleaved experts stay readable: `[a] Hel` `lo` `\n[b] Hi` `\n[a]  there`.
 * - A `retry` with `discard` -> a note in `reasoning_content` (`\n[a] retry 1/2: the text above
 *   from a is discarded`): the reasoning lane is append-only, so the discarded text stays and
 *   the note says it no longer counts; the next token is labelled again.
 * - A `token` from `fusion` (a generating fusion) or `cache` -> `content`, live: the answer.
 * - `complete` -> the rest of `complete.text` as `content` pieces: all of it for a selecting
 *   fusion (which streams no tokens), or what the guard held back of a streamed answer.
 *
 * When the streamed content is not the start of `complete.text` (a generating fusion that
 * failed, `degraded`, its text replaced by an expert's; or a fusion retry that discarded its
 * text), the streamed content cannot be taken back. The final text is then appended after a
 * visible marker, `CORRECTION_MARKER`, and a reasoning note says so; after a fusion discard no
 * more fusion tokens are streamed live (the answer comes whole at `complete`). So the last
 * `complete.text.length` characters of the joined content are always the final answer, and the
 * joined content is exactly the final answer whenever nothing was replaced.
 *
 * With `reasoning: false`, expert tokens and retry notes produce no deltas at all.
 */
import type { CompleteEvent, PipelineEvent } from '../../index';
import { textPieces, type ChatDelta } from './chat-chunks';

/** What separates a replaced streamed answer from the final one in `content`. */
export const CORRECTION_MARKER = '\n\n[Correction: the text above was replaced; the final answer follows.]\n\n';

/** The per-request mapping; stateful, so one per request. */
export interface ChatDeltas {
  /** The delta of a non-terminal event, if it has one (at most one: no array per token). */
  event(event: PipelineEvent): ChatDelta | undefined;
  /** The deltas that end a completed request's content. */
  complete(complete: CompleteEvent): ChatDelta[];
}

const ANSWER_SOURCES: ReadonlySet<string> = new Set(['fusion', 'cache']);

/** A fresh mapping; `reasoning: false` turns the experts' lane off. */
export const createChatDeltas = ({ reasoning }: { readonly reasoning: boolean }): ChatDeltas => {
  let lastSource: string | undefined;
  let reasoned = false;
  let streamed = '';
  let live = true;
  const note = (text: string): ChatDelta | undefined => {
    if (!reasoning) return undefined;
    const delta = `${reasoned ? '\n' : ''}${text}`;
    reasoned = true;
    lastSource = undefined;
    return { reasoning_content: delta };
  };
  return {
    event: (event) => {
      if (event.type === 'token' && ANSWER_SOURCES.has(event.source)) {
        if (!live) return undefined;
        streamed += event.text;
        return { content: event.text };
      }
      if (event.type === 'token') {
        if (!reasoning) return undefined;
        const label = event.source === lastSource ? '' : `${reasoned ? '\n' : ''}[${event.source}] `;
        lastSource = event.source;
        reasoned = true;
        return { reasoning_content: label === '' ? event.text : `${label}${event.text}` };
      }
      if (event.type === 'retry' && event.discard) {
        if (event.source === 'fusion') live = false;
        return note(`[${event.source}] retry ${event.attempt}/${event.maxRetries}: the text above from ${event.source} is discarded`);
      }
      return undefined;
    },
    complete: ({ text, degraded }) => {
      if (text.startsWith(streamed)) return textPieces(text.slice(streamed.length)).map((content) => ({ content }));
      const why = degraded ? 'the fusion failed; an expert\'s answer replaces it' : 'the streamed answer was discarded';
      const noted = note(`[fusion] ${why}: the final answer follows the correction marker`);
      return [...(noted === undefined ? [] : [noted]), ...textPieces(`${CORRECTION_MARKER}${text}`).map((content) => ({ content }))];
    },
  };
};
