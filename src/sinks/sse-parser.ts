/**
 * An incremental server-sent events parser (the WHATWG "event stream interpretation"), with no
 * dependencies so it runs in browsers too. Feed it decoded text in chunks of any size: lines may
 * be split anywhere, end in `\r\n`, `\r` or `\n` (a `\r\n` split across chunks counts once),
 * `data` lines are joined with `\n`, comments and unknown fields are ignored, a message with no
 * data is not dispatched, and an unterminated message at the end of the stream is dropped.
 */

/** One dispatched message. `event` defaults to 'message'; `id` is the last event id seen. */
export interface SSEMessage { readonly event: string; readonly data: string; readonly id: string }

/** Feed it text with `push`; messages go to the callback given to `createSSEParser`. */
export interface SSEParser {
  push(text: string): void;
  /** The stream ended: an unterminated message is discarded, as the spec says. */
  end(): void;
}

/** Default bound on a line plus the message being assembled, in UTF-16 code units (8 Mi). */
export const DEFAULT_MAX_SSE_MESSAGE_CHARS = 8 * 1024 * 1024;

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/** Creates a parser that calls `onMessage` per message; `push` throws when a message outgrows `maxChars`. */
export function createSSEParser(onMessage: (message: SSEMessage) => void, maxChars = DEFAULT_MAX_SSE_MESSAGE_CHARS): SSEParser {
  let pending = ''; // the current, unterminated line
  let skipLF = false; // the last chunk ended with \r: a \n opening the next one completes that \r\n
  let started = false;
  let data = '';
  let event = '';
  let id = '';

  const dispatch = (): void => {
    if (data !== '') onMessage({ event: event === '' ? 'message' : event, data: data.slice(0, -1), id });
    data = '';
    event = '';
  };

  const line = (text: string): void => {
    if (text === '') return dispatch();
    if (text.charCodeAt(0) === COLON) return; // a comment, e.g. a heartbeat
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    if (field === 'data') data += `${value}\n`;
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\u0000')) id = value;
  };

  return {
    push(text) {
      let start = 0;
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) start = 1; // a byte order mark opening the stream
      }
      if (skipLF && text.length > start) {
        skipLF = false;
        if (text.charCodeAt(start) === LF) start++;
      }
      for (let i = start; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== LF && c !== CR) continue;
        const current = pending + text.slice(start, i);
        pending = '';
        if (c === CR) {
          if (i + 1 === text.length) skipLF = true;
          else if (text.charCodeAt(i + 1) === LF) i++;
        }
        start = i + 1;
        line(current);
      }
      pending += text.slice(start);
      if (pending.length + data.length > maxChars) throw new Error(`SSE message longer than ${maxChars} characters`);
    },
    end() {
      pending = '';
      data = '';
      event = '';
    },
  };
}
