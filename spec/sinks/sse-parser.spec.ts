import { createSSEParser, type SSEMessage } from '../../src/sinks/sse-parser';

/** Parses `chunks` in order and returns every message. */
const parse = (chunks: readonly string[], maxChars?: number): SSEMessage[] => {
  const out: SSEMessage[] = [];
  const parser = createSSEParser((message) => out.push(message), maxChars);
  chunks.forEach((chunk) => parser.push(chunk));
  parser.end();
  return out;
};

const message = (data: string, event = 'message', id = ''): SSEMessage => ({ event, data, id });

/** Every way to cut `text` in two, and in three at neighbouring points. */
const splits = (text: string): string[][] => {
  const out: string[][] = [];
  for (let i = 0; i <= text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)]);
    if (i + 1 <= text.length) out.push([text.slice(0, i), text.slice(i, i + 1), text.slice(i + 1)]);
  }
  return out;
};

describe('createSSEParser', () => {
  const stream = '\uFEFF: hello\r\nevent: token\r\ndata: {"a":\r\ndata:1}\r\n\r\nevent: done\rdata: x\r\rid: 7\ndata\ndata:  two spaces\n\n';
  const expected = [message('{"a":\n1}', 'token'), message('x', 'done'), message('\n two spaces', 'message', '7')];

  it('handles \\r\\n, \\r and \\n line ends, multi-line data, comments, ids and a byte order mark', () => {
    expect(parse([stream])).toEqual(expected);
  });

  it('gives the same messages however the text is split into chunks', () => {
    for (const chunks of splits(stream)) expect(parse(chunks)).toEqual(expected);
    expect(parse([...stream])).toEqual(expected);
  });

  it('counts a \\r\\n split across two chunks as one line end', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([message('a\nb')]);
    expect(parse(['data: a\r', '', '\n\r\n'])).toEqual([message('a')]);
  });

  it('dispatches nothing for a message without data, and resets the event name after it', () => {
    expect(parse(['event: lonely\n\ndata: x\n\n'])).toEqual([message('x')]);
  });

  it('ignores unknown fields and retry', () => {
    expect(parse(['retry: 10\nfoo: bar\ndata: x\n\n'])).toEqual([message('x')]);
  });

  it('drops a message that is not terminated by a blank line at the end of the stream', () => {
    expect(parse(['data: one\n\ndata: two\n'])).toEqual([message('one')]);
  });

  it('strips a byte order mark only at the start of the stream', () => {
    expect(parse(['', '\uFEFFdata: a\n\n\uFEFFdata: b\n\n'])).toEqual([message('a')]);
  });

  it('throws when a message outgrows the bound', () => {
    expect(() => parse(['data: ', 'x'.repeat(50)], 40)).toThrow('SSE message longer than 40 characters');
    expect(() => parse(['data: 0123456789\n'.repeat(5)], 40)).toThrow(/longer than 40/);
  });
});
